"""Spans from any OpenTelemetry-instrumented agent -> a Trace (`load_trace_file`).

GenAI client spans become `LLMCall`s (provider, model, messages, request params, usage,
timing), `execute_tool` spans `ToolCall`s, `gen_ai.evaluation.result` events `Judgment`s,
in the order they started. Each call gets a wire answer in its provider's format (chat
completions, the Responses API, Anthropic messages), so diff, assertions, costs and inspect
read it as they read a recorded one, and a saved import replays. Current and deprecated
attribute names are read (`attributes.DEPRECATED`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any

from trace_ops._files import read_bytes
from trace_ops.errors import CassetteError
from trace_ops.matching import fingerprint
from trace_ops.otlp import attributes as a
from trace_ops.otlp import messages as m
from trace_ops.otlp.spans import FormatError, Span, parse_spans
from trace_ops.trace import AgentDecision, ErrorEvent, Event, Judgment, LLMCall, ToolCall, Trace

__all__ = ["event_of_span", "load_trace_file", "spans_to_trace"]

_LLM_OPERATIONS = ("chat", "text_completion", "embeddings", "generate_content")
_PARAMS: tuple[tuple[str, str], ...] = (
    (a.REQUEST_MAX_TOKENS, "max_tokens"),
    (a.REQUEST_TEMPERATURE, "temperature"),
    (a.REQUEST_TOP_P, "top_p"),
    (a.REQUEST_TOP_K, "top_k"),
    (a.REQUEST_FREQUENCY_PENALTY, "frequency_penalty"),
    (a.REQUEST_PRESENCE_PENALTY, "presence_penalty"),
    (a.REQUEST_SEED, "seed"),
    (a.REQUEST_CHOICE_COUNT, "n"),
)


def _iso(ns: int) -> str:
    moment = _dt.datetime.fromtimestamp(ns / 1e9, tz=_dt.timezone.utc)
    if ns % 1_000_000 == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _duration_ms(span: Span) -> float:
    return round(max(span.end_ns - span.start_ns, 0) / 1e6, 6)


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _list(value: Any) -> list[Any]:
    value = _loads(value)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _operation(span: Span, attrs: dict[str, Any]) -> str | None:
    operation = attrs.get(a.OPERATION)
    if isinstance(operation, str):
        return operation
    if a.TOOL_NAME in attrs:
        return "execute_tool"
    if a.REQUEST_MODEL in attrs or a.PROVIDER in attrs:
        return "chat"
    return None


# ---------------------------------------------------------------- one LLM call


def _provider(attrs: dict[str, Any]) -> str:
    ours = attrs.get(a.TO_PROVIDER)
    if isinstance(ours, str) and ours:
        return ours
    otel = str(attrs.get(a.PROVIDER) or "openai-compatible")
    return a.PROVIDERS_BY_OTEL.get(otel, otel)


def _endpoint(attrs: dict[str, Any], provider: str, operation: str) -> str:
    ours = attrs.get(a.TO_ENDPOINT)
    if isinstance(ours, str) and ours:
        return ours
    if operation == "embeddings":
        return "embeddings"
    return "messages" if provider == "anthropic" else "chat.completions"


def _responses_input(messages: list[m.Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        texts = []
        for part in message.get("parts") or []:
            kind = part.get("type")
            if kind == "tool_call":
                arguments = part.get("arguments")
                items.append(
                    {
                        "type": "function_call",
                        "call_id": part.get("id"),
                        "name": part.get("name"),
                        "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                    }
                )
            elif kind == "tool_call_response":
                response = m.response_of(part)
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": part.get("id"),
                        "output": response if isinstance(response, str) else json.dumps(response),
                    }
                )
            elif kind == "text":
                texts.append(str(part.get("content", "")))
        if texts:
            items.append({"role": message.get("role", "user"), "content": "".join(texts)})
    return items


def _request(attrs: dict[str, Any], endpoint: str, model: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model} if model else {}
    messages = [x for x in _list(attrs.get(a.INPUT_MESSAGES)) if isinstance(x, dict)]
    system = [x for x in _list(attrs.get(a.SYSTEM_INSTRUCTIONS)) if isinstance(x, dict)]
    tools = [x for x in _list(attrs.get(a.TOOL_DEFINITIONS)) if isinstance(x, dict)]
    if endpoint == "messages":
        if system:
            request["system"] = "".join(str(p.get("content", "")) for p in system)
        request["messages"] = m.anthropic_messages(messages)
        if tools:
            request["tools"] = m.anthropic_tools(tools)
    elif endpoint == "responses":
        if system:
            request["instructions"] = "".join(str(p.get("content", "")) for p in system)
        request["input"] = _responses_input(messages)
        if tools:
            request["tools"] = [
                {"type": "function", **{k: t[k] for k in ("name", "description", "parameters") if k in t}}
                for t in tools
            ]
    elif endpoint != "embeddings":
        request["messages"] = m.chat_messages(messages, system)
        if tools:
            request["tools"] = m.chat_tools(tools)
    for name, key in _PARAMS:
        if attrs.get(name) is not None:
            request[key] = attrs[name]
    stop = attrs.get(a.REQUEST_STOP)
    if stop is not None:
        request["stop_sequences" if endpoint == "messages" else "stop"] = _list(stop)
    if attrs.get(a.REQUEST_STREAM) is not None:
        request["stream"] = bool(attrs[a.REQUEST_STREAM])
    return request


def _output(attrs: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(text, tool calls) of the output messages."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for message in _list(attrs.get(a.OUTPUT_MESSAGES)):
        if not isinstance(message, dict):
            continue
        for part in message.get("parts") or []:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("content", "")))
            elif isinstance(part, dict) and part.get("type") == "tool_call":
                calls.append(part)
    return "".join(texts), calls


def _finish(attrs: dict[str, Any]) -> str | None:
    reasons = _list(attrs.get(a.RESPONSE_FINISH_REASONS))
    if reasons:
        return str(reasons[0])
    for message in _list(attrs.get(a.OUTPUT_MESSAGES)):
        if isinstance(message, dict) and message.get("finish_reason"):
            return str(message["finish_reason"])
    return None


def _arguments_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _response(attrs: dict[str, Any], endpoint: str, model: str | None) -> dict[str, Any]:
    """A wire answer in the endpoint's own format, holding what the span says."""
    text, calls = _output(attrs)
    finish = _finish(attrs)
    inputs, outputs = _int(attrs.get(a.USAGE_INPUT)), _int(attrs.get(a.USAGE_OUTPUT))
    cached, written = _int(attrs.get(a.USAGE_CACHE_READ)), _int(attrs.get(a.USAGE_CACHE_CREATION))
    reasoning = _int(attrs.get(a.USAGE_REASONING))
    has_usage = a.USAGE_INPUT in attrs or a.USAGE_OUTPUT in attrs
    served = attrs.get(a.RESPONSE_MODEL) or model
    body: dict[str, Any] = {"id": attrs.get(a.RESPONSE_ID), "model": served}
    if endpoint == "messages":
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        content += [
            {
                "type": "tool_use",
                "id": c.get("id"),
                "name": c.get("name"),
                "input": _loads(c.get("arguments")),
            }
            for c in calls
        ]
        body.update(type="message", role="assistant", content=content, stop_reason=finish)
        if has_usage:  # Anthropic counts cache reads and writes apart from input
            body["usage"] = {
                "input_tokens": max(inputs - cached - written, 0),
                "output_tokens": outputs,
                "cache_read_input_tokens": cached,
                "cache_creation_input_tokens": written,
            }
        return body
    if endpoint == "embeddings":
        body.update(object="list", data=[])
        if has_usage:
            body["usage"] = {"prompt_tokens": inputs, "total_tokens": inputs}
        return body
    if endpoint == "responses":
        output: list[dict[str, Any]] = []
        if text:
            output.append(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            )
        output += [
            {
                "type": "function_call",
                "call_id": c.get("id"),
                "name": c.get("name"),
                "arguments": _arguments_text(c.get("arguments")),
            }
            for c in calls
        ]
        status = "completed" if finish in (None, "stop", "tool_calls", "completed") else str(finish)
        body.update(object="response", status=status, output=output)
        if has_usage:
            body["usage"] = {
                "input_tokens": inputs,
                "output_tokens": outputs,
                "total_tokens": inputs + outputs,
                "input_tokens_details": {"cached_tokens": cached},
                "output_tokens_details": {"reasoning_tokens": reasoning},
            }
        return body
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": c.get("id"),
                "type": "function",
                "function": {"name": c.get("name"), "arguments": _arguments_text(c.get("arguments"))},
            }
            for c in calls
        ]
    body.update(object="chat.completion", choices=[{"index": 0, "message": message, "finish_reason": finish}])
    if has_usage:
        body["usage"] = {
            "prompt_tokens": inputs,
            "completion_tokens": outputs,
            "total_tokens": inputs + outputs,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    return body


def _llm_call(span: Span, attrs: dict[str, Any], operation: str) -> LLMCall:
    provider = _provider(attrs)
    endpoint = _endpoint(attrs, provider, operation)
    model = attrs.get(a.REQUEST_MODEL)
    model = model if isinstance(model, str) else None
    request = _request(attrs, endpoint, model)
    ttfc = attrs.get(a.RESPONSE_TTFC)
    call = LLMCall(
        provider=provider,
        endpoint=endpoint,
        request=request,
        fingerprint=fingerprint(endpoint, request),
        started_at=_iso(span.start_ns),
        duration_ms=_duration_ms(span),
        ttft_ms=round(float(ttfc) * 1000.0, 6) if isinstance(ttfc, (int, float)) else None,
        incomplete=bool(attrs.get(a.TO_INCOMPLETE, False)),
    )
    if span.error is not None:
        error_type = str(attrs.get(a.ERROR_TYPE) or "error")
        status = _int(attrs.get(a.TO_STATUS)) or (int(error_type) if error_type.isdigit() else 0)
        if status >= 400:  # an HTTP error answer
            call.status = status
            call.response = {"error": {"message": span.error, "type": error_type}}
        else:  # no HTTP answer (a connection error, a timeout)
            call.error = {"type": error_type, "message": span.error}
    else:
        call.response = _response(attrs, endpoint, model)
        call.status = _int(attrs.get(a.TO_STATUS)) or 200
    return call


# ---------------------------------------------------------------- tools and events


def _tool_call(span: Span, attrs: dict[str, Any]) -> ToolCall:
    error = attrs.get(a.TO_TOOL_ERROR)
    if error is None and span.error is not None:
        error = span.error or str(attrs.get(a.ERROR_TYPE) or "error")
    name = attrs.get(a.TOOL_NAME) or span.name.removeprefix("execute_tool ").strip() or "tool"
    call_id = attrs.get(a.TOOL_CALL_ID)
    return ToolCall(
        name=str(name),
        input=_loads(attrs.get(a.TOOL_ARGUMENTS)),
        output=_loads(attrs.get(a.TOOL_RESULT)),
        error=None if error is None else str(error),
        call_id=None if call_id is None else str(call_id),
        started_at=_iso(span.start_ns),
        duration_ms=_duration_ms(span),
    )


def _span_events(span: Span, agent_span: bool) -> list[tuple[int, Event]]:
    out: list[tuple[int, Event]] = []
    for event in span.events:
        attrs = event.attributes
        if event.name == a.EVALUATION_EVENT:
            score = attrs.get(a.EVALUATION_SCORE)
            judgment: Event = Judgment(
                name=str(attrs.get(a.EVALUATION_NAME) or "evaluation"),
                verdict=None if attrs.get(a.EVALUATION_LABEL) is None else str(attrs[a.EVALUATION_LABEL]),
                score=float(score)
                if isinstance(score, (int, float)) and not isinstance(score, bool)
                else None,
                reasoning=None
                if attrs.get(a.EVALUATION_EXPLANATION) is None
                else str(attrs[a.EVALUATION_EXPLANATION]),
                intent=None if attrs.get(a.TO_INTENT) is None else str(attrs[a.TO_INTENT]),
                started_at=_iso(event.time_ns),
            )
            out.append((event.time_ns, judgment))
        elif event.name == a.TO_DECISION_EVENT:
            detail = _loads(attrs.get(a.TO_DECISION_DETAIL))
            decision = AgentDecision(
                decision=str(attrs.get(a.TO_DECISION) or ""),
                detail=detail if isinstance(detail, dict) else {},
                started_at=_iso(event.time_ns),
            )
            out.append((event.time_ns, decision))
        elif event.name == a.EXCEPTION_EVENT and agent_span:
            error = ErrorEvent(
                error_type=str(attrs.get(a.EXCEPTION_TYPE) or "Exception"),
                message=str(attrs.get(a.EXCEPTION_MESSAGE) or ""),
                started_at=_iso(event.time_ns),
            )
            out.append((event.time_ns, error))
    return out


def event_of_span(span: Span) -> LLMCall | ToolCall | None:
    """The LLM call or tool call a GenAI span describes, None for other spans."""
    attrs = a.canonical(span.attributes)
    operation = _operation(span, attrs)
    if operation in _LLM_OPERATIONS:
        return _llm_call(span, attrs, operation)
    if operation == "execute_tool":
        return _tool_call(span, attrs)
    return None


def spans_to_trace(spans: list[Span], *, source: str = "otlp") -> Trace:
    """The GenAI spans as a Trace, events in start order (spans of other kinds are skipped)."""
    timed: list[tuple[int, int, Event]] = []
    agent_names: list[str] = []
    trace_ids: list[str] = []
    our_id: str | None = None
    for order, span in enumerate(spans):
        if span.trace_id not in trace_ids:
            trace_ids.append(span.trace_id)
        attrs = a.canonical(span.attributes)
        operation = _operation(span, attrs)
        agent_span = operation in ("invoke_agent", "create_agent") or span.parent_id is None
        if operation == "invoke_agent" and attrs.get(a.AGENT_NAME):
            agent_names.append(str(attrs[a.AGENT_NAME]))
        if isinstance(attrs.get(a.TO_TRACE_ID), str):
            our_id = our_id or str(attrs[a.TO_TRACE_ID])
        if operation in _LLM_OPERATIONS:
            timed.append((span.start_ns, order, _llm_call(span, attrs, operation)))
        elif operation == "execute_tool":
            timed.append((span.start_ns, order, _tool_call(span, attrs)))
        for when, event in _span_events(span, agent_span):
            timed.append((when, order, event))
    timed.sort(key=lambda item: (item[0], item[1]))
    first = min((s.start_ns for s in spans), default=0)
    metadata: dict[str, Any] = {"imported_from": source, "otel_trace_ids": trace_ids}
    if agent_names:
        metadata["agent"] = agent_names[0]
    trace = Trace(events=[event for _, _, event in timed], metadata=metadata)
    if spans:
        trace.created_at = _iso(first)
    trace.id = our_id or (trace_ids[0][:16] if trace_ids else trace.id)
    return trace


def load_trace_file(path: str | os.PathLike[str]) -> Trace:
    """A trace from an OTLP/JSON file (a document, JSON Lines, bare spans) or Jaeger JSON,
    told apart by content. Bad files raise a one-line `CassetteError`."""
    name = os.fspath(path)
    try:
        text = read_bytes(name).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{name}: not UTF-8 text (byte {exc.start}): not a trace file") from None
    except OSError as exc:
        raise CassetteError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        source, spans = parse_spans(text)
    except FormatError as exc:
        raise CassetteError(f"{name}: not a trace file we read: {exc}") from None
    except (TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise CassetteError(f"{name}: malformed spans ({type(exc).__name__}: {exc})") from None
    if not spans:
        raise CassetteError(f"{name}: holds no spans")
    try:
        return spans_to_trace(spans, source=source)
    except (TypeError, AttributeError, ValueError, KeyError, RecursionError) as exc:
        raise CassetteError(f"{name}: malformed GenAI spans ({type(exc).__name__}: {exc})") from None
