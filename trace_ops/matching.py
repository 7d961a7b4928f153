"""Which recorded call answers a live one: request fingerprints, an index, and readable misses.

A request is reduced to the parts that decide the answer (endpoint, model, messages, tools,
tool_choice, sampling params, response format, stream); volatile parts (`user`,
`stream_options`, `metadata`, cache keys) are dropped. Identical requests are consumed in
recorded order, so concurrent calls replay right.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from trace_ops.errors import CassetteMismatchError, CassetteNotFoundError
from trace_ops.trace import LLMCall, ToolCall

#: Request keys that never affect the answer (or change on every run).
VOLATILE_KEYS = frozenset(
    {"user", "stream_options", "metadata", "safety_identifier", "prompt_cache_key", "store", "extra_headers"}
)
#: Where a request holds its prompt: the system part, then the conversation (chat `messages`,
#: Responses `input`, completion `prompt`). Matching, the cassette layout and the diff read these.
SYSTEM_KEYS = ("system", "instructions")
CONVERSATION_KEYS = ("messages", "input", "prompt")
PROMPT_KEYS = SYSTEM_KEYS + CONVERSATION_KEYS
TOOL_KEYS = ("tools", "functions")
TOOL_CHOICE_KEYS = ("tool_choice", "function_call", "parallel_tool_calls")
FORMAT_KEYS = ("response_format", "text", "output_format")

#: The fields `match_on=` accepts; the default matches on all of them.
MATCH_FIELDS = (
    "endpoint",
    "model",
    "messages",
    "tools",
    "tool_choice",
    "params",
    "response_format",
    "stream",
)
_GROUPED = frozenset(PROMPT_KEYS + TOOL_KEYS + TOOL_CHOICE_KEYS + FORMAT_KEYS + ("model", "stream"))


def comparable_request(endpoint: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request as matching sees it: endpoint plus body minus volatile keys."""
    body = {k: v for k, v in request.items() if k not in VOLATILE_KEYS}
    body["stream"] = bool(body.get("stream"))
    return {"endpoint": endpoint, **body}


Matcher = Callable[[dict[str, Any]], dict[str, Any]]
"""What one `match_on` name selects from a comparable request (endpoint + body minus volatile
keys): the parts that must be equal for a recorded call to answer a live one."""


def _keys(*names: str) -> Matcher:
    return lambda comparable: {k: comparable[k] for k in names if k in comparable}


def _params(comparable: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in comparable.items() if k not in _GROUPED and k != "endpoint"}


#: `match_on` names and what each selects; `register_matcher` adds to it (VCR.py's custom matchers).
MATCHERS: dict[str, Matcher] = {
    "endpoint": _keys("endpoint"),
    "model": _keys("model"),
    "messages": _keys(*PROMPT_KEYS),
    "tools": _keys(*TOOL_KEYS),
    "tool_choice": _keys(*TOOL_CHOICE_KEYS),
    "params": _params,
    "response_format": _keys(*FORMAT_KEYS),
    "stream": _keys("stream"),
}


def register_matcher(name: str, select: Matcher) -> None:
    """Make `name` usable in `match_on`: `select(comparable_request)` returns what must be equal.

    E.g. `register_matcher("last_user", lambda r: {"last": r["messages"][-1]})`, then
    `Replayer(path, match_on=("endpoint", "model", "last_user"))`. A name already taken is an
    error: the built-in meanings stay what the README says.
    """
    if name in MATCHERS:
        raise ValueError(f"register_matcher: {name!r} is already a matcher")
    MATCHERS[name] = select


def select_fields(comparable: dict[str, Any], match_on: Sequence[str]) -> dict[str, Any]:
    """Keep only the parts of a comparable request named by `match_on`."""
    if tuple(match_on) == MATCH_FIELDS:
        return comparable
    out: dict[str, Any] = {}
    for name in match_on:
        selected = MATCHERS[name](comparable)
        if name in MATCH_FIELDS:
            out.update(selected)
        else:  # a registered matcher: under its own name, so it cannot shadow a request key
            out[name] = selected
    return out


def validate_match_on(match_on: Iterable[str] | None) -> tuple[str, ...]:
    if match_on is None:
        return MATCH_FIELDS
    fields = tuple(match_on)
    unknown = [f for f in fields if f not in MATCHERS]
    if unknown or not fields:
        raise ValueError(
            f"match_on: unknown field(s) {unknown or '(empty)'}; choose from {', '.join(MATCHERS)}"
        )
    return fields


def canonical_request(endpoint: str, request: dict[str, Any], match_on: Sequence[str] = MATCH_FIELDS) -> str:
    """The JSON text a fingerprint hashes: what decides the answer, keys sorted."""
    selected = select_fields(comparable_request(endpoint, request), match_on)
    return json.dumps(selected, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint(endpoint: str, request: dict[str, Any], match_on: Sequence[str] = MATCH_FIELDS) -> str:
    """A short stable hash of what decides the answer to a request."""
    return hashlib.sha256(canonical_request(endpoint, request, match_on).encode("utf-8")).hexdigest()[:16]


class MatchIndex:
    """Recorded llm_calls by fingerprint; `take` consumes them in recorded order (thread-safe)."""

    def __init__(
        self,
        calls: Sequence[LLMCall],
        match_on: Sequence[str] = MATCH_FIELDS,
        *,
        sequential: bool = False,
        allow_repeats: bool = False,
    ) -> None:
        self.calls = list(calls)
        self.match_on = tuple(match_on)
        self.sequential = sequential
        self.allow_repeats = allow_repeats
        self._lock = threading.Lock()
        default = self.match_on == MATCH_FIELDS  # loaded calls carry that fingerprint already
        self._prints = [
            c.fingerprint if default and c.fingerprint else fingerprint(c.endpoint, c.request, self.match_on)
            for c in self.calls
        ]
        self._queues: dict[str, deque[int]] = {}
        for position, fp in enumerate(self._prints):
            self._queues.setdefault(fp, deque()).append(position)
        self._last: dict[str, int] = {}
        self._next = 0
        self.used: set[int] = set()

    def take(self, fp: str) -> LLMCall | None:
        """The recorded call answering a request with fingerprint `fp`, or None."""
        with self._lock:
            if self.sequential:
                if self._next < len(self.calls) and self._prints[self._next] == fp:
                    self.used.add(self._next)
                    self._next += 1
                    return self.calls[self._next - 1]
                return None
            queue = self._queues.get(fp)
            if queue:
                position = queue.popleft()
                self._last[fp] = position
                self.used.add(position)
                return self.calls[position]
            if self.allow_repeats and fp in self._last:
                return self.calls[self._last[fp]]
            return None

    @property
    def unused(self) -> list[int]:
        return [i for i in range(len(self.calls)) if i not in self.used]

    def expected_next(self) -> int | None:
        """In sequential mode, the position of the call that should come next."""
        return self._next if self.sequential and self._next < len(self.calls) else None

    def closest(self, endpoint: str, request: dict[str, Any]) -> tuple[int, list[str]] | None:
        """The recorded call most like `request` (fewest differing fields), preferring unused ones."""
        live = select_fields(comparable_request(endpoint, request), self.match_on)
        if self.sequential and self._next < len(self.calls):
            candidates = [self._next]
        else:
            candidates = self.unused or list(range(len(self.calls)))
        best: tuple[int, list[str]] | None = None
        for position in candidates:
            call = self.calls[position]
            recorded = select_fields(comparable_request(call.endpoint, call.request), self.match_on)
            differences = diff_values(live, recorded)
            if best is None or len(differences) < len(best[1]):
                best = (position, differences)
        return best


class ToolIndex:
    """Recorded tool calls by name and input; `take` consumes them in recorded order (thread-safe)."""

    def __init__(self, calls: Iterable[ToolCall]) -> None:
        self._lock = threading.Lock()
        self._queues: dict[tuple[str, str], deque[ToolCall]] = {}
        for call in calls:
            self._queues.setdefault(_tool_key(call.name, call.input), deque()).append(call)

    def take(self, name: str, input: Any) -> ToolCall | None:
        """The next recorded call of tool `name` with this (JSON-safe) input, or None."""
        with self._lock:
            queue = self._queues.get(_tool_key(name, input))
            return queue.popleft() if queue else None


def _tool_key(name: str, input: Any) -> tuple[str, str]:
    return name, json.dumps(input, sort_keys=True, default=str)


def _short(value: Any, limit: int = 80) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, default=str)
        if not isinstance(value, str)
        else json.dumps(value)
    )
    return text if len(text) <= limit else text[: limit - 3] + "…" + text[-1]


def _text_difference(live: str, recorded: str) -> str:
    """Show two strings around their first differing character."""
    start = 0
    while start < min(len(live), len(recorded)) and live[start] == recorded[start]:
        start += 1
    lo = max(0, start - 30)
    prefix = "…" if lo else ""
    return f"{prefix}{_short(live[lo:], 70)} != {prefix}{_short(recorded[lo:], 70)}"


def diff_values(live: Any, recorded: Any, path: str = "") -> list[str]:
    """Field-by-field differences, e.g. `messages[2].content: "a" != "b"` (live != recorded)."""
    if isinstance(live, dict) and isinstance(recorded, dict):
        out: list[str] = []
        for key in list(live) + [k for k in recorded if k not in live]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded:
                out.append(f"{sub}: {_short(live[key])} != <absent>")
            elif key not in live:
                out.append(f"{sub}: <absent> != {_short(recorded[key])}")
            else:
                out.extend(diff_values(live[key], recorded[key], sub))
        return out
    if isinstance(live, list) and isinstance(recorded, list):
        out = []
        for i in range(max(len(live), len(recorded))):
            sub = f"{path}[{i}]"
            if i >= len(recorded):
                out.append(f"{sub}: {_short(live[i])} != <absent>")
            elif i >= len(live):
                out.append(f"{sub}: <absent> != {_short(recorded[i])}")
            else:
                out.extend(diff_values(live[i], recorded[i], sub))
        return out
    if live == recorded and type(live) is type(recorded):
        return []
    if isinstance(live, str) and isinstance(recorded, str):
        return [f"{path}: {_text_difference(live, recorded)}"]
    return [f"{path}: {_short(live)} != {_short(recorded)}"]


# ---------------------------------------------------------------- the messages of a miss


def _where(path: Path | None) -> str:
    return str(path) if path is not None else "(in-memory cassette)"


def rerecord_hint(path: Path | None, custom: str | None = None) -> str:
    """How to re-record this cassette (`custom` when the caller, e.g. the fixture, knows better)."""
    if custom:
        return custom
    target = repr(str(path)) if path is not None else "..."
    return f"to re-record: run once with Recorder(save_to={target}) or record_mode='rewrite'"


def not_found_error(path: Path | None, hint: str) -> CassetteNotFoundError:
    where = str(path) if path is not None else "(no path given)"
    return CassetteNotFoundError(f"{where}: cassette not found; {hint}")


def mismatch_error(
    event: LLMCall, number: int, path: Path | None, index: MatchIndex | None, hint: str
) -> CassetteMismatchError:
    """No recorded call answers LLM call #`number`: name the closest one and what differs."""
    lines = [
        f"no recorded call matches LLM call #{number} ({event.provider} {event.endpoint}, "
        f"model {event.model!r}) in cassette {_where(path)}"
    ]
    closest = index.closest(event.endpoint, event.request) if index is not None else None
    if closest is None:
        lines.append("the cassette has no recorded LLM calls")
    else:
        position, differences = closest
        if not differences:
            lines.append(
                f"an identical request was recorded (call #{position + 1}) and already replayed: "
                "this run "
                "makes more identical calls than the recording (allow_playback_repeats=True permits that)"
            )
        else:
            lines.append(f"closest recorded call: #{position + 1} (live != recorded):")
            lines += [f"  {d}" for d in differences[:12]]
            if len(differences) > 12:
                lines.append(f"  … and {len(differences) - 12} more differences")
    lines.append(hint)
    return CassetteMismatchError("\n".join(lines))


def not_recorded_error(recorded: LLMCall, number: int, path: Path | None, hint: str) -> CassetteMismatchError:
    """The matching recorded call is a placeholder trace_ops could not record: say why."""
    return CassetteMismatchError(
        f"LLM call #{number} ({recorded.provider} {recorded.endpoint}, model {recorded.model!r}) was not "
        f"recorded in cassette {_where(path)} ({recorded.not_recorded}); {hint}"
    )


def tool_mismatch_error(name: str, input: Any, path: Path | None, hint: str) -> CassetteMismatchError:
    return CassetteMismatchError(
        f"no recorded call of tool {name!r} with input {input!r} in cassette {_where(path)}; {hint}"
    )


def undescribed_error(
    provider: str, endpoint: str, path: Path | None, exc: Exception
) -> CassetteMismatchError:
    return CassetteMismatchError(
        f"cannot match a {provider} {endpoint} call against cassette {_where(path)}: trace_ops could not "
        f"describe its request ({type(exc).__name__}: {exc})"
    )
