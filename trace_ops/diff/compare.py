"""How two recorded values compare: prompts as (role, text) messages, tool arguments key by key,
answers by similarity, all with the volatile keys (ids, timestamps, fingerprints) left out.

Apart from the engine, which decides *what* to compare (aligned steps, figures, errors), so the
rules for *how* values compare are read in one place.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

from trace_ops.diff.align import common_prefix
from trace_ops.diff.model import ValueChange
from trace_ops.matching import CONVERSATION_KEYS, SYSTEM_KEYS
from trace_ops.trace import LLMCall

__all__ = [
    "VOLATILE_KEYS",
    "Message",
    "RunPrompts",
    "normalize_message",
    "parsed_json",
    "prompt_messages",
    "strip_volatile",
    "text_similarity",
    "unified_diff",
    "value_changes",
]

#: Keys that change on every run; stripped from prompts before comparing.
VOLATILE_KEYS = frozenset(
    {
        "id",
        "tool_call_id",
        "call_id",
        "tool_use_id",
        "created",
        "created_at",
        "timestamp",
        "system_fingerprint",
        "fingerprint",
        "request_id",
        "signature",
        "encrypted_content",
    }
)
#: Values kept verbatim (tool arguments and schemas may legitimately contain an `id`).
_OPAQUE_KEYS = frozenset({"input", "arguments", "parameters", "properties", "schema", "json_schema"})

Message = tuple[str | None, str]


def prompt_messages(request: dict[str, Any]) -> list[Message]:
    """The prompt as (role, text) pairs, volatile ids stripped; system/instructions come first."""
    return [normalize_message(m) for m in _raw_messages(request)]


def _raw_messages(request: dict[str, Any]) -> list[Any]:
    messages: list[Any] = []
    for key in SYSTEM_KEYS:
        if request.get(key):
            messages.append({"role": "system", "content": request[key]})
    for key in CONVERSATION_KEYS:
        value = request.get(key)
        if isinstance(value, list):
            messages.extend(value)
        elif value is not None:
            messages.append({"role": "user", "content": value})
    return messages


def normalize_message(message: Any) -> Message:
    """(role, text): plain content as is, anything richer as canonical JSON without volatile keys."""
    clean = strip_volatile(message)
    if not isinstance(clean, dict):
        return (None, _canonical(clean))
    role = clean.pop("role", None) or clean.get("type")
    content = clean.get("content")
    text = content if isinstance(content, str) and len(clean) == 1 else _canonical(clean)
    return (str(role) if role is not None else None, text)


class RunPrompts:
    """Normalized prompts of one run's LLM calls, computed once, in order.

    Each call usually resends the previous call's messages plus new ones, so the part it
    shares with the previous call (same run, hence same ids) is reused instead of normalized
    again: a long conversation costs O(messages), not O(messages²). For each call it keeps
    (messages, how many were the whole previous prompt resent unchanged, previous call id).
    """

    def __init__(self, calls: Iterable[LLMCall]) -> None:
        self._by_call: dict[int, tuple[list[Message], int, int | None]] = {}
        prev_raw: list[Any] = []
        prev: list[Message] = []
        prev_id: int | None = None
        for call in calls:
            raw = _raw_messages(call.request)
            keep = common_prefix(raw, prev_raw)
            normalized = prev[:keep] + [normalize_message(m) for m in raw[keep:]]
            appended = keep if keep == len(prev_raw) else 0
            self._by_call[id(call)] = (normalized, appended, prev_id)
            prev_raw, prev, prev_id = raw, normalized, id(call)

    def of(self, call: LLMCall) -> tuple[list[Message], int, int | None]:
        return self._by_call[id(call)]


def strip_volatile(value: Any) -> Any:
    """A copy of `value` without volatile keys (ids, timestamps, fingerprints) at any depth."""
    if isinstance(value, dict):
        return {
            k: (v if k in _OPAQUE_KEYS else strip_volatile(v))
            for k, v in value.items()
            if k not in VOLATILE_KEYS
        }
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def unified_diff(old: str, new: str, old_name: str = "old", new_name: str = "new") -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="")
    return "\n".join(lines)


_TOKEN = re.compile(r"\w+|\S")


def text_similarity(a: str, b: str) -> float:
    """0..1 similarity of two texts, over words and punctuation (fast on long answers)."""
    if a == b:
        return 1.0
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    if not ta and not tb:
        return 1.0  # differ only in whitespace
    return round(difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio(), 4)


def parsed_json(value: Any) -> Any:
    """A value recorded as JSON text (`'{"q": "x"}'`) as the data it holds; anything else as is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def value_changes(old: Any, new: Any, path: str = "") -> list[ValueChange]:
    """Per-key differences between two argument values (dicts by key, equal-length lists by index)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[ValueChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(ValueChange(sub, "removed", old[key], None))
            elif key not in old:
                out.append(ValueChange(sub, "added", None, new[key]))
            else:
                out.extend(value_changes(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [c for k, (x, y) in pairs for c in value_changes(x, y, f"{path}[{k}]")]
    if old != new or isinstance(old, bool) != isinstance(new, bool):
        return [ValueChange(path, "changed", old, new)]
    return []
