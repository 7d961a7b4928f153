"""Cassette files: YAML a reviewer can read, that loads fast, and is never half-written.

Layout (version 1): a `trace:` header and an `events:` list. An llm_call keeps the prompt
(`request.messages` / `input` / `system` …) as YAML with multi-line text as block scalars,
the other request parameters (tools, sampling params …) as one indented JSON block with one
line per field (`request.params`; older cassettes have it on one line, which loads the same),
and the provider's wire answer as a JSON block (`response:`) or, for streams, the raw SSE body
(`stream:`) preceded by the answer assembled from it (`assembled:`, derived, never replayed:
see _assembled). Keeping the bulky wire data in block scalars is what makes a 10,000-call
cassette load in seconds: PyYAML pays per node, not per byte.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from trace_ops import _assembled, _parse_cache
from trace_ops._files import atomic_write_text
from trace_ops.errors import CassetteError, CassetteNotFoundError
from trace_ops.matching import PROMPT_KEYS, fingerprint
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import (
    EVENT_TYPES,
    AgentDecision,
    ErrorEvent,
    Event,
    JSONText,
    Judgment,
    LLMCall,
    ToolCall,
    Trace,
)

CASSETTE_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_CParser: type | None  # libyaml's parser + composer, when PyYAML was built with it
try:
    from yaml._yaml import CParser

    _CParser = CParser
except ImportError:  # pragma: no cover - PyYAML's wheels ship libyaml
    _CParser = None


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper: block scalars for multi-line text, no anchors/aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")  # libyaml: exact str


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_assembled.BlockText, _represent_block)


# ---------------------------------------------------------------- writing


# Characters libyaml will not put in a block scalar (DEL, C1 controls, Unicode line
# separators, BOM, surrogates, and everything beyond the BMP, emoji included): one of them
# turned a whole JSON block into one escaped line. In JSON text they can only sit inside
# strings, where a \uXXXX escape (a surrogate pair beyond the BMP) means the same.
_NOT_IN_BLOCK = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _json_block(value: Any) -> str:
    """Indented JSON that YAML can write as a `|` block: one line per field."""
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return _NOT_IN_BLOCK.sub(_escape, text) if _NOT_IN_BLOCK.search(text) else text


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
        prompt["params"] = _json_block(params)  # one field per line: a changed tool is a one-line diff
    out["request"] = prompt
    if call.status != 200:
        out["status"] = call.status
    if call.headers:
        out["headers"] = dict(call.headers)
    if call.error is not None:
        out["error"] = scrub.data(call.error)
    if call.stream is not None:
        answer = _assembled.assembled(call, scrub)
        if answer is not None:
            out[_assembled.KEY] = answer
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
        self.trusted = False

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
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(where, f"missing required field {key!r}")
            return None
        if type(value) is types:  # the usual case, and the cheapest test (this runs ~15x per call)
            return value
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise self.fail(f"{where}.{key}", f"expected {_type_names(types)}, got {_kind(value)}")
        return value

    def json_text(self, text: str, where: str, field: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self.fail(f"{where}.{field}", f"invalid JSON ({exc})") from None


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
    raw_request = data.get("request", {})
    if type(raw_request) is not dict:
        raw_request = r.mapping(raw_request, f"{where}.request")
    request: dict[str, Any] = {}
    model = r.get(data, "model", str, where)
    if model is not None:
        request["model"] = model
    for key, value in raw_request.items():
        if key == "params":
            if not isinstance(value, str):
                raise r.fail(f"{where}.request.params", f"expected JSON text, got {_kind(value)}")
            params = r.json_text(value, where, "request.params")
            if type(params) is not dict:
                params = r.mapping(params, f"{where}.request.params")
            request.update(params)
        else:
            request[key] = value
    response: Any = None
    response_text = r.get(data, "response", str, where)
    if response_text is not None:  # validated JSON (from the parse cache) is parsed only when read
        response = JSONText(response_text) if r.trusted else r.json_text(response_text, where, "response")
    stream = r.get(data, "stream", str, where)
    if _assembled.KEY in data and not r.trusted:
        _check_assembled(r, data, where, stream)
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


def _check_assembled(r: _Reader, data: dict[str, Any], where: str, stream: str | None) -> None:
    """`assembled:` is derived from the stream and never replayed, but a broken hand edit of it
    is still a one-line error rather than something ignored or a crash later."""
    answer = r.get(data, _assembled.KEY, dict, where)
    if answer is None:
        return
    where = f"{where}.{_assembled.KEY}"
    if stream is None:
        raise r.fail(where, "is derived from 'stream', and this call has none")
    r.get(answer, "text", str, where)
    r.get(answer, "finish_reason", str, where)
    for index, raw in enumerate(r.get(answer, "tool_calls", list, where) or ()):
        slot = f"{where}.tool_calls[{index}]"
        call = r.mapping(raw, slot)
        r.get(call, "name", str, slot, required=True)
        r.get(call, "arguments", str, slot)


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


def trace_from_document(document: Any, source: str = "<cassette>", *, trusted: bool = False) -> Trace:
    """Validate a parsed cassette document and build its Trace. `trusted`: this document was
    validated before (a parse-cache hit), so the wire answers' JSON is parsed only when read."""
    r = _Reader(source)
    r.trusted = trusted
    if not isinstance(document, dict):
        raise CassetteError(
            f"{source}: not a trace_ops cassette (top level is {_kind(document)}, not a mapping)"
        )
    if "interactions" in document and "events" not in document:
        raise CassetteError(
            f"{source}: this is a VCR.py cassette (it has 'interactions'), not a trace_ops cassette; "
            "pytest-recording / VCR.py read it, trace_ops records its own (*.trace.yaml by default)"
        )
    if "version" not in document:
        raise CassetteError(f"{source}: not a trace_ops cassette (no 'version' key)")
    if "trace" not in document and "events" not in document:
        raise CassetteError(f"{source}: not a trace_ops cassette (neither 'trace' nor 'events' key)")
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
    # Pass every field to Trace(): its defaults (a fresh uuid, the current time) cost more than
    # the rest of a one-call load.
    fields: dict[str, Any] = {"events": events}
    if header.get("id"):
        fields["id"] = str(header["id"])
    if header.get("created_at"):
        fields["created_at"] = str(header["created_at"])
    fields["trace_ops_version"] = str(header.get("trace_ops_version") or "unknown")
    sdk_versions = r.get(header, "sdk_versions", dict, "trace") or {}
    fields["sdk_versions"] = {str(k): str(v) for k, v in sdk_versions.items()}
    fields["price_data"] = r.get(header, "price_data", str, "trace")
    fields["tags"] = [str(t) for t in (r.get(header, "tags", list, "trace") or [])]
    fields["metadata"] = r.get(header, "metadata", dict, "trace") or {}
    return Trace(**fields)


def _supported() -> str:
    from trace_ops._version import __version__

    return __version__



# ---------------------------------------------------------------- parsing
#
# A cassette is untrusted input (a file from a PR, a download). It is parsed by libyaml's C
# parser and composer (the pure-Python ones without libyaml) into a node tree, which one
# tight class below (_Builder) turns into plain data. PyYAML's generic constructor and
# resolver are not used: they were ~60 % of `yaml.load`'s time, and here only a short, closed
# list of tags is accepted, so nothing but str/int/float/bool/None/list/dict can come out of a
# cassette.

MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_INT = _TAG + "int"
_FLOAT = _TAG + "float"
_BOOL = _TAG + "bool"
_NULL = _TAG + "null"
_SEQ = _TAG + "seq"
_MAP = _TAG + "map"
_SEEN = "\0seen"  # replaces a node's tag once built; compared by identity, so no parsed tag matches

_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
# Plain scalars that are not text under YAML 1.1 (what SafeLoader resolves) apart from numbers.
_PLAIN_WORDS: dict[str, Any] = {word: None for word in ("", "~", "null", "Null", "NULL")}
for _word, _value in _BOOLS.items():
    _PLAIN_WORDS.update({_word: _value, _word.capitalize(): _value, _word.upper(): _value})
_MERGE = object()
_PLAIN_KEYS: dict[str, Any] = {**_PLAIN_WORDS, "<<": _MERGE}
_NUMBER_START = frozenset("-+0123456789.")
# SafeLoader's (YAML 1.1) implicit int and float patterns, verbatim from yaml/resolver.py.
_INT_RE = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    re.X,
)
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


def _yaml_int(text: str) -> int:
    """SafeConstructor.construct_yaml_int: YAML 1.1 ints (0b, octal 0.., 0x, base 60, `_`)."""
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _yaml_float(text: str) -> float:
    """SafeConstructor.construct_yaml_float: YAML 1.1 floats (.inf, .nan, base 60, `_`)."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        digits = [float(part) for part in value.split(":")]
        digits.reverse()
        total, base = 0.0, 1
        for digit in digits:
            total += digit * base
            base *= 60
        return sign * total
    return sign * float(value)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _PurePythonParser(Reader, Scanner, Parser, Composer):
    """PyYAML's pure-Python reader, scanner, parser and composer: CParser without libyaml."""

    def __init__(self, stream: str | bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)


class _ComposerHooks:
    """The resolver hooks the composers call for every node, replaced by trivial ones: plain
    scalars keep tag None and are resolved by _Builder, everything else gets its default tag.

    They also bound the nesting depth while composing: libyaml's composer recurses in C, and a
    few hundred thousand `[` would overflow the C stack (a crash, not an exception). All three
    run for every node, so they are closures set on the instance and ascend_resolver is a
    bound `list.pop`: methods keeping `self.depth` made composing ~13 % slower.
    """

    descend_resolver: Callable[[Any, Any], None]
    ascend_resolver: Callable[[], Any]
    resolve: Callable[[Any, Any, Any], str | None]

    def __init__(self, stream: str | bytes, source: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        path: list[Any] = []  # one entry per node being composed, root first
        push = path.append
        limit = MAX_DEPTH + 1  # containers may sit at depth 0..MAX_DEPTH below the root...
        # ...and `path` holds the root too, so a container is too deep once len(path) > limit.

        def descend_resolver(parent: Any, index: Any) -> None:
            push(index)

        def resolve(kind: Any, value: Any, implicit: Any) -> str | None:
            if kind is ScalarNode:
                return None if implicit[0] else _STR
            if len(path) > limit:
                raise CassetteError(f"{source}: invalid cassette: nesting deeper than {MAX_DEPTH} levels")
            return _SEQ if kind is SequenceNode else _MAP

        self.descend_resolver = descend_resolver
        self.ascend_resolver = path.pop
        self.resolve = resolve


class _PurePythonComposer(_ComposerHooks, _PurePythonParser):
    pass


_Composer: type[_ComposerHooks] = _PurePythonComposer
if _CParser is not None:

    class _LibyamlComposer(_ComposerHooks, _CParser):  # type: ignore[misc,valid-type]
        pass

    _Composer = _LibyamlComposer


class _Builder:
    """Node tree -> plain data, equal to what `yaml.load(text, CSafeLoader)` gives for every
    cassette trace_ops writes, and a CassetteError for everything a cassette never needs.

    - Plain scalars resolve as SafeLoader's YAML 1.1 rules: null, bool, int, float; anything
      else (timestamps included: trace_ops quotes its own) stays text, which JSON can hold.
    - Explicit tags: only !!str !!int !!float !!bool !!null !!map !!seq; any other one
      (python/*, binary, timestamp, set, omap, `!custom`) is rejected, never constructed.
    - A node reached twice is an alias: rejected before anything is expanded (billion laughs).
    - Merge keys (`<<`), non-scalar keys and duplicate keys are rejected (trace_ops never
      writes them; a duplicate key is usually a bad merge, and picking one would replay the
      wrong answer).
    """

    def __init__(self, source: str) -> None:
        self.source = source
        # False once a mapping key is not text: JSON would turn it into text, so the parse
        # cache must not store this document.
        self.json_exact = True

    def fail(self, node: Any, problem: str) -> CassetteError:
        mark = node.start_mark
        return CassetteError(
            f"{self.source}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        )

    def alias(self, node: Any) -> CassetteError:
        mark = node.start_mark
        return CassetteError(
            f"{self.source}: invalid cassette: YAML anchors/aliases are not allowed "
            f"(node at line {mark.line + 1} used twice)"
        )

    def build(self, node: Any) -> Any:
        if node is None:  # an empty document
            return None
        if type(node) is ScalarNode:
            tag = node.tag
            value = node.value
            if tag is None:
                return self.plain(node, value)
            return value if tag == _STR else self.tagged(node, tag)
        return self.collection(node)

    def collection(self, node: Any) -> Any:
        tag = node.tag
        if tag is _SEEN:
            raise self.alias(node)
        node.tag = _SEEN
        if type(node) is MappingNode:
            if tag != _MAP:
                raise self.fail(node, f"unsupported tag {_show_tag(tag)!r} on a mapping")
            return self.mapping(node)
        if tag != _SEQ:
            raise self.fail(node, f"unsupported tag {_show_tag(tag)!r} on a list")
        return self.sequence(node)

    def mapping(self, node: Any) -> dict[Any, Any]:
        # The scalar cases are inlined here and in sequence(): most nodes are scalars, and this
        # saves a method call for each of them.
        out: dict[Any, Any] = {}
        pairs = node.value
        for key_node, value_node in pairs:
            if type(key_node) is not ScalarNode:
                raise self.fail(key_node, "a mapping key must be a plain value, not a list or mapping")
            tag = key_node.tag
            key = key_node.value
            if tag is None:
                if key in _PLAIN_KEYS or key[0] in _NUMBER_START:
                    key = self.plain_key(key_node, key)
            elif tag != _STR:
                key = self.tagged(key_node, tag)
                if type(key) is not str:
                    self.json_exact = False
            key_node.tag = _SEEN
            if type(value_node) is ScalarNode:
                tag = value_node.tag
                value = value_node.value
                if tag is None:
                    if value in _PLAIN_WORDS:
                        value = _PLAIN_WORDS[value]
                    elif value[0] in _NUMBER_START:
                        value = self.number(value_node, value)
                elif tag != _STR:
                    value = self.tagged(value_node, tag)
                value_node.tag = _SEEN
            else:
                value = self.collection(value_node)
            out[key] = value
        if len(out) != len(pairs):
            raise self.duplicate(node)
        return out

    def sequence(self, node: Any) -> list[Any]:
        out: list[Any] = []
        append = out.append
        for item in node.value:
            if type(item) is ScalarNode:
                tag = item.tag
                value = item.value
                if tag is None:
                    if value in _PLAIN_WORDS:
                        value = _PLAIN_WORDS[value]
                    elif value[0] in _NUMBER_START:
                        value = self.number(item, value)
                elif tag != _STR:
                    value = self.tagged(item, tag)
                item.tag = _SEEN
                append(value)
            else:
                append(self.collection(item))
        return out

    def plain(self, node: Any, text: str) -> Any:
        if text in _PLAIN_WORDS:
            return _PLAIN_WORDS[text]
        return self.number(node, text) if text[0] in _NUMBER_START else text

    def plain_key(self, node: Any, text: str) -> Any:
        key = _PLAIN_KEYS[text] if text in _PLAIN_KEYS else self.number(node, text)
        if key is _MERGE:
            raise self.fail(node, "merge keys ('<<') are not supported in a cassette")
        if type(key) is not str:
            self.json_exact = False
        return key

    def number(self, node: Any, text: str) -> Any:
        try:
            if _INT_RE.match(text):
                return _yaml_int(text)
            if _FLOAT_RE.match(text):
                return _yaml_float(text)
        except ValueError:  # "0x_", or an int of more than 4,300 digits
            raise self.fail(node, f"invalid number {_clip(text)}") from None
        return text

    def tagged(self, node: Any, tag: str) -> Any:
        """A scalar with an explicit tag (or one already built: an alias)."""
        if tag is _SEEN:
            raise self.alias(node)
        text = node.value
        try:
            if tag == _STR:
                return text
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return _BOOLS[text.lower()]
            if tag == _INT:
                return _yaml_int(text)
            if tag == _FLOAT:
                return _yaml_float(text)
        except (KeyError, ValueError, IndexError):
            raise self.fail(node, f"invalid {_show_tag(tag)} value {_clip(text)}") from None
        raise self.fail(
            node, f"unsupported tag {_show_tag(tag)!r} (a cassette may use !!str !!int !!float !!bool !!null)"
        )

    def duplicate(self, node: Any) -> CassetteError:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.value in seen:
                return self.fail(key_node, f"duplicate key {_clip(key_node.value)}")
            seen.add(key_node.value)
        return self.fail(node, "duplicate keys in this mapping")  # equal once resolved: `1` and `0x1`


def _clip(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _parse(text: str | bytes, source: str) -> tuple[Any, bool]:
    """YAML text -> (document, whether JSON holds it exactly); aliases, odd tags and nesting
    deeper than MAX_DEPTH raise CassetteError."""
    try:
        root = _Composer(text, source).get_single_node()  # type: ignore[attr-defined]
        builder = _Builder(source)
        return builder.build(root), builder.json_exact
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise CassetteError(f"{source}: invalid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{source}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None


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


def _build(document: Any, source: str, *, fresh: bool = True) -> Trace:
    """The Trace of a validated document. `fresh` (not from the parse cache): each llm_call's
    fingerprint is recomputed from its request, since the file's may be stale (a hand-edited
    prompt), and written back into `document`, so a cached copy carries the true ones and the
    per-test cache hit skips that work."""
    try:
        trace = trace_from_document(document, source, trusted=not fresh)
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None
    if fresh:
        raw_events = document["events"] if type(document.get("events")) is list else []
        for raw, event in zip(raw_events, trace.events, strict=True):
            if type(event) is LLMCall:
                event.fingerprint = raw["fingerprint"] = fingerprint(event.endpoint, event.request)
    return trace


def loads_cassette(text: str, source: str = "<cassette>") -> Trace:
    """Parse cassette text (safe: see _Builder) into a Trace."""
    with _no_cyclic_gc():
        document, _ = _parse(text, source)
        return _build(document, source)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def load_cassette(path: str | os.PathLike[str]) -> Trace:
    """Load and validate a cassette. Any problem raises CassetteError with a one-line message."""
    source = os.fspath(path)
    try:
        raw = _parse_cache.read_bytes(source)
    except FileNotFoundError:
        raise CassetteNotFoundError(f"{source}: cassette not found") from None
    except IsADirectoryError:
        raise CassetteError(f"{source}: is a directory, not a cassette file") from None
    except OSError as exc:
        raise CassetteError(f"{source}: cannot read cassette ({exc.strerror})") from None
    gc_was_enabled = gc.isenabled()  # see _no_cyclic_gc (inlined: this runs once per test)
    gc.disable()
    try:
        return _load(raw, source)
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(raw: bytes, source: str) -> Trace:
    entry = _parse_cache.entry(raw)
    if entry is not None:
        cached = _from_cache(_parse_cache.get(entry))
        if cached is not None:  # these exact bytes parsed and validated before
            return _build(cached, source, fresh=False)
    if not raw or raw.isspace():
        raise CassetteError(f"{source}: empty file, not a cassette")
    # libyaml reads the bytes as they are (no decode + re-encode of the whole file) and
    # rejects invalid UTF-8 itself; only a UTF-16 BOM would make it switch encodings.
    if raw.startswith(_UTF16_BOMS):
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset 0)")
    try:
        document, json_exact = _parse(raw, source)
    except CassetteError:
        _check_utf8(raw, source)  # a clearer message when the real problem is the encoding
        raise
    trace = _build(document, source)
    if entry is not None and json_exact:
        _parse_cache.put(entry, *_to_cache(document))
    return trace


_BULKY = ("stream", "response")  # the wire texts: most of a cassette's bytes
_PARAMS = "params"  # request.params: an indented JSON block, full of quotes JSON would escape


def _to_cache(document: Any) -> tuple[Any, list[str]]:
    """The parse cache's form of a document: the events' `stream`/`response` and
    `request.params` texts move out of the JSON (stored raw, see _parse_cache), leaving "" and
    their (event, key) slot behind."""
    texts: list[str] = []
    slots: list[tuple[int, str]] = []
    events = document.get("events") if type(document) is dict else None
    if type(events) is list:
        skeleton = list(events)
        for index, event in enumerate(events):
            if type(event) is dict and (_BULKY[0] in event or _BULKY[1] in event):
                copy = None
                for key in _BULKY:
                    text = event.get(key)
                    if type(text) is str and text:
                        copy = copy or dict(event)
                        copy[key] = ""
                        texts.append(text)
                        slots.append((index, key))
                request = event.get("request")
                if type(request) is dict and type(request.get(_PARAMS)) is str and request[_PARAMS]:
                    copy = copy or dict(event)
                    copy["request"] = {**request, _PARAMS: ""}
                    texts.append(request[_PARAMS])
                    slots.append((index, _PARAMS))
                if copy is not None:
                    skeleton[index] = copy
        document = {**document, "events": skeleton}
    return {"document": document, "slots": slots}, texts


def _from_cache(cached: tuple[Any, list[str]] | None) -> Any:
    """_to_cache undone; None when the entry does not have that shape (then it is a miss)."""
    if cached is None:
        return None
    wrapper, texts = cached
    try:
        document = wrapper["document"]
        slots = wrapper["slots"]
        if slots or texts:
            events = document["events"]
            for (index, key), text in zip(slots, texts, strict=True):
                if key == _PARAMS:
                    events[index]["request"][key] = text
                elif key in _BULKY:
                    events[index][key] = text
                else:
                    return None
        return document
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _check_utf8(raw: bytes, source: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
