"""Secret scrubbing: nothing that looks like a credential is ever written to a cassette.

The same scrubber runs on live requests before they are fingerprinted, so a request that
contained a secret still matches its scrubbed recording on replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"

DEFAULT_PATTERNS: tuple[str, ...] = (
    r"sk-[A-Za-z0-9_\-]{16,}",  # OpenAI / Anthropic style keys (sk-, sk-proj-, sk-ant-...)
    r"(?i:bearer)\s+[A-Za-z0-9._~+/\-]{8,}=*",  # bearer tokens
    r"AKIA[0-9A-Z]{16}",  # AWS access key ids
    r"gh[pousr]_[A-Za-z0-9]{20,}",  # GitHub tokens
    r"xox[abpr]-[A-Za-z0-9\-]{10,}",  # Slack tokens
    r"AIza[0-9A-Za-z_\-]{35}",  # Google API keys
)

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
        "password",
        "secret",
        "access_token",
        "refresh_token",
        "client_secret",
        "cookie",
        "set-cookie",
    }
)


class Scrubber:
    """Replaces secrets in nested data: strings matching patterns, values under sensitive keys."""

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

    def data(self, value: Any) -> Any:
        """Scrub nested dicts/lists/strings, returning new containers (the input is not changed)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                k: (
                    self.replacement
                    if isinstance(k, str) and k.lower() in SENSITIVE_KEYS and v
                    else self.data(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


#: Substrings every default secret pattern contains (checked before running the regexes).
_CASE_MARKERS = ("sk-", "AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "AIza")

_QUOTED_KEYS = tuple(f'"{key}"' for key in SENSITIVE_KEYS)

DEFAULT_SCRUBBER = Scrubber()
