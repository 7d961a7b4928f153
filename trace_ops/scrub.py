"""Secret scrubbing: nothing that looks like a credential is ever written to a cassette.

The same scrubber runs on live requests before they are fingerprinted, so a request that
contained a secret still matches its scrubbed recording on replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trace_ops._stream_scrub import scrub_stream

REDACTED = "[REDACTED]"


def _word(prefix: str, rest: str) -> str:
    """`prefix` + `rest`, where the prefix starts a word: not after a letter, digit, `_` or `-`
    ("task-list" holds no `sk-` key), though it may follow a JSON escape (`\\n`) in the raw
    text of a stream. The check looks back from after the literal prefix, so the regex engine
    still scans for the literal first (a lookbehind in front is 2-3x slower on a long stream)."""
    return rf"{prefix}(?:(?<![A-Za-z0-9_\-]{prefix})|(?<=\\[nrt]{prefix})){rest}"


DEFAULT_PATTERNS: tuple[str, ...] = (
    # OpenAI / Anthropic style keys (sk-, sk-proj-, sk-ant-...): 16+ characters, one a digit
    _word("sk-", r"(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{16,}"),
    # bearer tokens, also URL-encoded (`Bearer+…`, `Bearer%20…`): 16+ characters, one a digit
    _word("(?i:bearer)", r"(?:\s+|\+|%20)(?=[A-Za-z0-9._~+/\-]*[0-9])[A-Za-z0-9._~+/\-]{16,}=*"),
    _word("AKIA", r"[0-9A-Z]{16}(?![0-9A-Za-z])"),  # AWS access key ids
    _word("gh[pousr]_", r"[A-Za-z0-9]{20,}"),  # GitHub tokens
    _word("xox[abpr]-", r"[A-Za-z0-9\-]{10,}"),  # Slack tokens
    _word("AIza", r"[0-9A-Za-z_\-]{35}"),  # Google API keys
    _word("eyJ", r"[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),  # JWTs
)

#: Keys whose string value is a credential, whatever it looks like.
SENSITIVE_KEYS = frozenset(
    {
        "api_key",
        "api-key",
        "apikey",
        "x-api-key",
        "authorization",
        "proxy-authorization",
        "openai-organization",
        "openai-project",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "session_token",
        "client_secret",
        "aws_secret_access_key",
        "aws_session_token",
        "secret_access_key",
        "private_key",
        "cookie",
        "set-cookie",
    }
)

#: Keys that also name ordinary things (a tool's `password` parameter, a logprob's `token`):
#: their value is redacted only when it is one word of at least this many characters that is
#: not a lowercase identifier (`db-password-name`), with a digit for `token`: a schema, a
#: sentence or a name under such a key is not a credential.
SHAPED_KEYS: dict[str, int] = {"password": 6, "passwd": 6, "secret": 6, "secret_key": 6, "token": 16}

_ONE_WORD = re.compile(r"\S+")
_IDENTIFIER = re.compile(r"[a-z]+(?:[-_.][a-z]+)*")


def _credential(key: str, value: Any) -> bool:
    """Is `value`, found under `key`, a credential? Only strings are; a key name never is."""
    if not isinstance(value, str) or not value:
        return False
    if key in SENSITIVE_KEYS:
        return True
    least = SHAPED_KEYS.get(key)
    if least is None or len(value) < least or not _ONE_WORD.fullmatch(value) or _IDENTIFIER.fullmatch(value):
        return False
    return key != "token" or any(c.isdigit() for c in value)


@dataclass(frozen=True)
class SecretFinding:
    """A secret left in data: where it is (`events[2].request.messages[0].content`) and why."""

    where: str
    reason: str


class Scrubber:
    """Replaces secrets in nested data: strings matching patterns, credentials under known keys."""

    def __init__(
        self, patterns: Iterable[str | re.Pattern[str]] = (), *, replacement: str = REDACTED
    ) -> None:
        self._default = re.compile("|".join(f"(?:{p})" for p in DEFAULT_PATTERNS))
        self._extra = [p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns]
        self.replacement = replacement

    def text(self, value: str) -> str:
        """Scrub one string."""
        value = self._default.sub(self.replacement, value)
        for pattern in self._extra:
            value = pattern.sub(self.replacement, value)
        return value

    def spans(self, value: str) -> list[tuple[int, int]]:
        """Where the secrets in `value` are: sorted, merged [start, end) spans."""
        found = sorted(
            m.span() for p in (self._default, *self._extra) for m in p.finditer(value) if m.end() > m.start()
        )
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def stream(self, body: str) -> str:
        """Scrub a raw SSE body, including secrets that only its joined deltas spell out."""
        return self.text(scrub_stream(body, self.spans, self.replacement))

    def might_hold_secrets(self, value: Any, text: str | None = None) -> bool:
        """A cheap pre-check on the JSON text of `value`: False means `data` would change nothing."""
        if text is None:
            try:
                text = json.dumps(value, ensure_ascii=False, default=str)
            except (TypeError, ValueError, RecursionError):
                return True
        if self._extra and any(p.search(text) for p in self._extra):
            return True
        if any(marker in text for marker in _CASE_MARKERS):
            return True
        lowered = text.lower()
        return "bearer" in lowered or any(key in lowered for key in _QUOTED_KEYS)

    def find(self, value: Any, where: str = "") -> list[SecretFinding]:
        """Every place in nested data that this scrubber would change: a leak check for cassettes
        already on disk (`replay validate`, the suite's own scan). A finding names where, never what."""
        found: list[SecretFinding] = []
        self._find(value, where, found)
        return found

    def _find(self, value: Any, where: str, found: list[SecretFinding]) -> None:
        if isinstance(value, str):
            found.extend(SecretFinding(where, "looks like a credential") for _ in self.spans(value)[:1])
        elif isinstance(value, dict):
            for k, v in value.items():
                inner = f"{where}.{k}" if where else str(k)
                if isinstance(k, str) and _credential(k.lower(), v) and v != self.replacement:
                    found.append(SecretFinding(inner, f"a credential under {k!r}"))
                else:
                    self._find(v, inner, found)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._find(v, f"{where}[{i}]", found)

    def data(self, value: Any) -> Any:
        """Scrub nested dicts/lists/strings, returning new containers (the input is not changed).

        Keys are kept as they are: a key name is not a secret."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                k: (self.replacement if isinstance(k, str) and _credential(k.lower(), v) else self.data(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


#: Substrings every default secret pattern contains (checked before running the regexes).
_CASE_MARKERS = ("sk-", "AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "AIza", "eyJ")

_QUOTED_KEYS = tuple(f'"{key}"' for key in (*SENSITIVE_KEYS, *SHAPED_KEYS))

DEFAULT_SCRUBBER = Scrubber()
