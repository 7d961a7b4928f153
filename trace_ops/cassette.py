"""Cassette files: YAML a reviewer can read, that loads fast, and is never half-written.

Layout (version 1): a `trace:` header and an `events:` list. An llm_call keeps the prompt
(`request.messages` / `input` / `system` …) as YAML with multi-line text as block scalars,
the other request parameters as one JSON line (`request.params`), and the provider's wire
answer as a JSON block (`response:`) or, for streams, the raw SSE body (`stream:`). Keeping
the bulky wire data in block scalars is what makes a 10,000-call cassette load in seconds:
PyYAML pays per node, not per byte.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from trace_ops import _parse_cache
from trace_ops._files import atomic_write_text
from trace_ops.errors import CassetteError, CassetteNotFoundError
from trace_ops.matching import PROMPT_KEYS, fingerprint
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import EVENT_TYPES, AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

CASSETTE_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper: block scalars for multi-line text, no anchors/aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


# ---------------------------------------------------------------- writing


def _json_block(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _common(event: Event, out: dict[str, Any]) -> dict[str, Any]:
    if event.started_at is not None:
        out["started_at"] = event.started_at
    if event.duration_ms is not None:
        out["duration_ms"] = round(event.duration_ms, 3)
    return out


def _llm_call_to_dict(call: LLMCall, scrub: Scrubber) -> dict[str, Any]:
    out: dict[str, Any] = {"type": call.kind, "provider": call.provider, "endpoint": call.endpoint}
    request = scrub.data(call.request)
    if "model" in request:
        out["model"] = request["model"]
    out["fingerprint"] = call.fingerprint or fingerprint(call.endpoint, request)
    _common(call, out)
    if call.ttft_ms is not None:
        out["ttft_ms"] = round(call.ttft_ms, 3)
    prompt = {k: request[k] for k in PROMPT_KEYS if k in request}
    params = {k: v for k, v in request.items() if k not in prompt and k != "model"}
    if params:
        prompt["params"] = json.dumps(params, ensure_ascii=False, separators=(", ", ": "))
    out["request"] = prompt
    if call.status != 200:
        out["status"] = call.status
    if call.headers:
        out["headers"] = dict(call.headers)
    if call.error is not None:
        out["error"] = scrub.data(call.error)
    if call.stream is not None:
        out["stream"] = scrub.text(call.stream)
    elif call.response is not None:
        out["response"] = _json_block(scrub.data(call.response))
    if call.incomplete:
        out["incomplete"] = True
    return out


def event_to_dict(event: Event, scrub: Scrubber = DEFAULT_SCRUBBER) -> dict[str, Any]:
    """An event as the cassette stores it (secrets scrubbed)."""
    if isinstance(event, LLMCall):
        return _llm_call_to_dict(event, scrub)
    out: dict[str, Any] = {"type": event.kind}
    if isinstance(event, ToolCall):
        out["name"] = event.name
        if event.call_id is not None:
            out["call_id"] = event.call_id
        _common(event, out)
        out["input"] = scrub.data(event.input)
        out["output"] = scrub.data(event.output)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
    elif isinstance(event, AgentDecision):
        out["decision"] = event.decision
        _common(event, out)
        if event.detail:
            out["detail"] = scrub.data(event.detail)
    elif isinstance(event, ErrorEvent):
        out["error_type"] = event.error_type
        _common(event, out)
        out["message"] = scrub.text(event.message)
    elif isinstance(event, Judgment):
        out["name"] = event.name
        _common(event, out)
        for key in ("intent", "verdict", "score", "reasoning"):
            value = getattr(event, key)
            if value is not None:
                out[key] = scrub.text(value) if isinstance(value, str) else value
    return out


def trace_to_document(trace: Trace, scrub: Scrubber = DEFAULT_SCRUBBER) -> dict[str, Any]:
    header: dict[str, Any] = {
        "id": trace.id,
        "created_at": trace.created_at,
        "trace_ops_version": trace.trace_ops_version,
        "sdk_versions": dict(trace.sdk_versions),
    }
    if trace.price_data:
        header["price_data"] = trace.price_data
    if trace.tags:
        header["tags"] = list(trace.tags)
    if trace.metadata:
        header["metadata"] = scrub.data(trace.metadata)
    return {
        "version": CASSETTE_VERSION,
        "trace": header,
        "events": [event_to_dict(e, scrub) for e in trace.events],
    }


def dumps_cassette(trace: Trace, scrub: Scrubber = DEFAULT_SCRUBBER) -> str:
    """The cassette text for a trace."""
    document = trace_to_document(trace, scrub)
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 20, default_flow_style=False
    )
    return text


def save_cassette(trace: Trace, path: str | os.PathLike[str], *, scrubber: Scrubber | None = None) -> Path:
    """Write a trace atomically: a temp file in the same directory, fsynced, then renamed over `path`."""
    target = Path(path)
    text = dumps_cassette(trace, scrubber or DEFAULT_SCRUBBER)
    return atomic_write_text(target, text)


# ---------------------------------------------------------------- reading


class _Reader:
    """Validates a parsed document, raising CassetteError with the path and location."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> CassetteError:
        return CassetteError(f"{self.source}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {_kind(value)}")
        return value

    def get(
        self,
        data: dict[str, Any],
        key: str,
        types: type | tuple[type, ...],
        where: str,
        *,
        required: bool = False,
    ) -> Any:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(where, f"missing required field {key!r}")
            return None
        value = data[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise self.fail(f"{where}.{key}", f"expected {_type_names(types)}, got {_kind(value)}")
        return value

    def json_text(self, text: str, where: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self.fail(where, f"invalid JSON ({exc})") from None


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    names = {"str": "text", "dict": "a mapping", "list": "a list", "int": "an integer", "float": "a number"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in _as_tuple(types))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


_NUMBER = (int, float)


def _read_llm_call(r: _Reader, data: dict[str, Any], where: str) -> LLMCall:
    provider = r.get(data, "provider", str, where, required=True)
    endpoint = r.get(data, "endpoint", str, where, required=True)
    raw_request = r.mapping(data.get("request", {}), f"{where}.request")
    request: dict[str, Any] = {}
    model = r.get(data, "model", str, where)
    if model is not None:
        request["model"] = model
    for key, value in raw_request.items():
        if key == "params":
            if not isinstance(value, str):
                raise r.fail(f"{where}.request.params", f"expected JSON text, got {_kind(value)}")
            params = r.json_text(value, f"{where}.request.params")
            request.update(r.mapping(params, f"{where}.request.params"))
        else:
            request[key] = value
    response = None
    response_text = r.get(data, "response", str, where)
    if response_text is not None:
        response = r.json_text(response_text, f"{where}.response")
    stream = r.get(data, "stream", str, where)
    error = r.get(data, "error", dict, where)
    if response is None and stream is None and error is None:
        raise r.fail(where, "an llm_call needs one of 'response', 'stream' or 'error'")
    status = r.get(data, "status", int, where)
    headers = r.get(data, "headers", dict, where) or {}
    return LLMCall(
        provider=provider,
        endpoint=endpoint,
        request=request,
        fingerprint=r.get(data, "fingerprint", str, where) or "",
        response=response,
        stream=stream,
        status=200 if status is None else status,
        headers={str(k): str(v) for k, v in headers.items()},
        error={str(k): str(v) for k, v in error.items()} if error is not None else None,
        ttft_ms=r.get(data, "ttft_ms", _NUMBER, where),
        incomplete=bool(data.get("incomplete", False)),
        started_at=r.get(data, "started_at", str, where),
        duration_ms=r.get(data, "duration_ms", _NUMBER, where),
    )


def _read_event(r: _Reader, raw: Any, index: int) -> Event:
    where = f"events[{index}]"
    data = r.mapping(raw, where)
    kind = r.get(data, "type", str, where, required=True)
    if kind not in EVENT_TYPES:
        raise r.fail(f"{where}.type", f"unknown event type {kind!r} (known: {', '.join(EVENT_TYPES)})")
    if kind == LLMCall.kind:
        return _read_llm_call(r, data, where)
    timing = {
        "started_at": r.get(data, "started_at", str, where),
        "duration_ms": r.get(data, "duration_ms", _NUMBER, where),
    }
    if kind == ToolCall.kind:
        return ToolCall(
            name=r.get(data, "name", str, where, required=True),
            input=data.get("input"),
            output=data.get("output"),
            error=r.get(data, "error", str, where),
            call_id=r.get(data, "call_id", str, where),
            **timing,
        )
    if kind == AgentDecision.kind:
        return AgentDecision(
            decision=r.get(data, "decision", str, where, required=True),
            detail=r.get(data, "detail", dict, where) or {},
            **timing,
        )
    if kind == Judgment.kind:
        return Judgment(
            name=r.get(data, "name", str, where, required=True),
            verdict=r.get(data, "verdict", str, where),
            score=r.get(data, "score", _NUMBER, where),
            reasoning=r.get(data, "reasoning", str, where),
            intent=r.get(data, "intent", str, where),
            **timing,
        )
    return ErrorEvent(
        error_type=r.get(data, "error_type", str, where, required=True),
        message=r.get(data, "message", str, where) or "",
        **timing,
    )


def trace_from_document(document: Any, source: str = "<cassette>") -> Trace:
    """Validate a parsed cassette document and build its Trace."""
    r = _Reader(source)
    if not isinstance(document, dict):
        raise CassetteError(
            f"{source}: not a trace_ops cassette (top level is {_kind(document)}, not a mapping)"
        )
    if "version" not in document:
        raise CassetteError(f"{source}: not a trace_ops cassette (no 'version' key)")
    version = document["version"]
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise CassetteError(
            f"{source}: unsupported cassette version {version!r} (this trace_ops {_supported()} reads "
            f"version {', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}); upgrade trace_ops or re-record"
        )
    header = r.mapping(document.get("trace") or {}, "trace")
    events_raw = document.get("events")
    if events_raw is None:
        events_raw = []
    if not isinstance(events_raw, list):
        raise r.fail("events", f"expected a list, got {_kind(events_raw)}")
    events = [_read_event(r, raw, i) for i, raw in enumerate(events_raw)]
    trace = Trace(events=events)
    trace.id = str(header.get("id") or trace.id)
    trace.created_at = str(header.get("created_at") or trace.created_at)
    trace.trace_ops_version = str(header.get("trace_ops_version") or "unknown")
    sdk_versions = r.get(header, "sdk_versions", dict, "trace") or {}
    trace.sdk_versions = {str(k): str(v) for k, v in sdk_versions.items()}
    trace.price_data = r.get(header, "price_data", str, "trace")
    trace.tags = [str(t) for t in (r.get(header, "tags", list, "trace") or [])]
    trace.metadata = r.get(header, "metadata", dict, "trace") or {}
    return trace


def _supported() -> str:
    from trace_ops._version import __version__

    return __version__


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic GC: building millions of acyclic objects otherwise triggers it again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def loads_cassette(text: str, source: str = "<cassette>") -> Trace:
    """Parse cassette text (safe loader only) into a Trace."""
    with _no_cyclic_gc():
        return _build(_parse(text, source), source)


MAX_DEPTH = 64


def _check_shape(document: Any, source: str) -> None:
    """Reject YAML aliases (shared containers: "billion laughs") and absurd nesting, in one linear walk.

    trace_ops never writes anchors, so a shared container means a hand-made or hostile file.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CassetteError(f"{source}: invalid cassette: nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if id(node) in seen:
            raise CassetteError(f"{source}: invalid cassette: YAML anchors/aliases are not allowed")
        seen.add(id(node))
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _parse(text: str, source: str) -> Any:
    """YAML text -> checked document (safe loader, no aliases, bounded depth)."""
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise CassetteError(f"{source}: invalid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{source}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None
    _check_shape(document, source)
    return document


def _build(document: Any, source: str) -> Trace:
    try:
        return trace_from_document(document, source)
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None


def load_cassette(path: str | os.PathLike[str]) -> Trace:
    """Load and validate a cassette. Any problem raises CassetteError with a one-line message."""
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(f"{source}: cassette not found") from None
    except IsADirectoryError:
        raise CassetteError(f"{source}: is a directory, not a cassette file") from None
    except OSError as exc:
        raise CassetteError(f"{source}: cannot read cassette ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise CassetteError(f"{source}: empty file, not a cassette")
    with _no_cyclic_gc():
        cached = _parse_cache.get(raw)
        if cached is not None:
            return _build(cached, source)
        document = _parse(text, source)
        trace = _build(document, source)
        _parse_cache.put(raw, document)
        return trace
