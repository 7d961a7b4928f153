"""Shared fixtures: a fresh fake LLM server on 127.0.0.1 per test, and real SDK clients for it.

Every test also starts with no user prices and no remembered price warnings.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from trace_ops.cost import clear_registered_prices
from trace_ops.testing import FakeLLMServer

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# parsed-cassette cache: one throwaway directory per test run, never the user's ~/.cache
os.environ.setdefault("TRACE_OPS_CACHE_DIR", tempfile.mkdtemp(prefix="trace-ops-cache-"))

pytest_plugins = ["pytester", "tests._leak_scan"]  # the secret scan over every cassette a test writes


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Child pytest runs get the loop scope this project sets in pyproject.toml, which they do not
    read: without it, pytest-asyncio warns about the unset option once per child run."""
    addopts = os.environ.get("PYTEST_ADDOPTS", "")  # pytester cleared the outer one already
    monkeypatch.setenv("PYTEST_ADDOPTS", f"{addopts} -o asyncio_default_fixture_loop_scope=function".strip())
    return pytester


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    """`register_price` is process-wide: a price one test registers must not price the next."""
    clear_registered_prices()
    yield
    clear_registered_prices()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cassette_path(tmp_path: pytest.TempPathFactory) -> object:
    return tmp_path / "cassettes" / "run.yaml"  # type: ignore[operator]
