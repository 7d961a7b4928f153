"""`Scrubber.find`: the leak check over data already written (validate, the suite's own scan)."""

from __future__ import annotations

from trace_ops.scrub import DEFAULT_SCRUBBER, REDACTED, Scrubber


def test_find_names_where_a_secret_is_and_never_the_secret() -> None:
    data = {"events": [{"request": {"messages": [{"content": "use sk-abc123def456ghi789jkl"}]}}]}
    (finding,) = DEFAULT_SCRUBBER.find(data)
    assert finding.where == "events[0].request.messages[0].content"
    assert "sk-abc" not in finding.reason


def test_find_sees_credentials_under_known_keys_but_not_redacted_ones_or_key_names() -> None:
    data = {"api_key": "short", "password": REDACTED, "properties": {"password": {"type": "string"}}}
    assert [f.where for f in DEFAULT_SCRUBBER.find(data)] == ["api_key"]


def test_scrubbed_data_has_nothing_left_to_find() -> None:
    scrubber = Scrubber([r"internal-\d{4}"])
    data = {"a": ["Bearer abcdefghij0123456789", {"b": "internal-1234", "token": "tok0123456789abcdefgh"}]}
    assert len(scrubber.find(data)) == 3
    assert scrubber.find(scrubber.data(data)) == []
