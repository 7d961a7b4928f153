"""The scrubber: every default secret shape is replaced, and its cheap pre-check never misses one."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    "text",
    [
        "task-list-management-dashboard",
        "a risk-free-investment-strategy-guide",
        "whisk-together-eggs-and-sugar-slowly",
        "the kiosk-mode-configuration-settings-page",
        "apply mask-rcnn-segmentation-pipeline-weights",
        "the standard-bearer position is vacant",
        "a bearer bond-holder-registration-document",
    ],
)
def test_words_that_contain_a_key_prefix_are_not_secrets(text: str) -> None:
    assert Scrubber().text(text) == text


def test_a_key_name_is_not_a_secret_only_a_credential_value_is() -> None:
    schema = {
        "type": "object",
        "properties": {"password": {"type": "string"}, "secret": {"type": "string", "description": "a hint"}},
        "required": ["password", "secret"],
    }
    tool_input = {"secret": "db-password-name", "password": "what is the reset policy?"}
    logprob = {"token": "Hello", "logprob": -0.1}
    for clean in (schema, tool_input, logprob):
        assert Scrubber().data(clean) == clean
    assert Scrubber().data({"password": "hunter2", "token": "tok0123456789abcdefXYZ"}) == {
        "password": REDACTED,
        "token": REDACTED,
    }


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/cb?auth=Bearer+abcdef0123456789xyz&x=1",
        "https://example.com/cb?auth=Bearer%20abcdef0123456789xyz",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "line one\\nsk-proj-abcdefghijklmnop0123456789",  # after a JSON escape in a raw stream
    ],
)
def test_url_encoded_bearer_jwt_and_escaped_keys_are_scrubbed(text: str) -> None:
    scrubbed = Scrubber().text(text)
    assert REDACTED in scrubbed and "0123456789" not in scrubbed and "dozjg" not in scrubbed
    assert Scrubber().might_hold_secrets(text)


def test_aws_secret_keys_in_known_positions_are_scrubbed() -> None:
    data = {"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region": "eu-west-1"}
    assert Scrubber().might_hold_secrets(data)
    assert Scrubber().data(data) == {"aws_secret_access_key": REDACTED, "region": "eu-west-1"}


def test_a_key_streamed_one_character_a_delta_is_cut_and_other_chunks_are_untouched() -> None:
    key = "sk-ant-api03-Zq8mW3xV7pL2nR9tK4bY6cH1"
    head = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m"}}\n\n'
    deltas = "".join(
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        f'"delta":{{"type":"text_delta","text":"{piece}"}}}}\n\n'
        for piece in ["key: ", *key, " done"]
    )
    scrubbed = Scrubber().stream(head + deltas)
    assert scrubbed.startswith(head) and key[:8] not in scrubbed.replace('"', "")
    events = [json.loads(line[5:]) for line in scrubbed.splitlines() if line.startswith("data:")]
    assert "".join(e["delta"]["text"] for e in events[1:]) == f"key: {REDACTED} done"
    assert len(events) == len(key) + 3  # every chunk kept: the stream still has its shape
