"""Each test starts with no user prices and no remembered warnings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trace_ops.cost import clear_registered_prices


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    clear_registered_prices()
    yield
    clear_registered_prices()
