"""The scrubber: every default secret shape is replaced, and its cheap pre-check never misses one."""

from __future__ import annotations

from typing import Any

import pytest

from trace_ops.scrub import REDACTED, Scrubber

SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "sk-ant-api03-abcdefghijklmnopqrstuvwx",
    "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
    "bearer abcdefgh12345678",
    "AKIAABCDEFGHIJKLMNOP",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-1234567890-abcdefghij",
    "AIza" + "B" * 35,
]


@pytest.mark.parametrize("secret", SECRETS)
def test_each_default_pattern_is_scrubbed_and_precheck_agrees(secret: str) -> None:
    scrubber = Scrubber()
    data: dict[str, Any] = {"messages": [{"role": "user", "content": f"use {secret} please"}], "n": 1}
    assert scrubber.might_hold_secrets(data)
    cleaned = scrubber.data(data)
    assert secret not in str(cleaned) and REDACTED in cleaned["messages"][0]["content"]
    assert data["messages"][0]["content"] == f"use {secret} please"  # input untouched


def test_sensitive_keys_and_user_patterns() -> None:
    scrubber = Scrubber([r"EMP-\d{4}"])
    data = {"Authorization": "token", "config": {"api_key": "abc"}, "note": "id EMP-1234"}
    assert scrubber.might_hold_secrets(data)
    assert scrubber.data(data) == {
        "Authorization": REDACTED,
        "config": {"api_key": REDACTED},
        "note": "id [REDACTED]",
    }


def test_precheck_is_false_for_clean_data() -> None:
    clean = {"model": "gpt-4o", "messages": [{"role": "user", "content": "ask about skiing and bearings"}]}
    assert not Scrubber().might_hold_secrets(clean)
    assert Scrubber().data(clean) == clean
