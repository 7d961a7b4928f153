"""Codecs of the small event kinds: tool calls, agent decisions, errors and judgments."""

from __future__ import annotations

from typing import Any

from trace_ops.cassette.codec import NUMBER, Reader, write_timing
from trace_ops.scrub import Scrubber
from trace_ops.trace import AgentDecision, ErrorEvent, Judgment, McpRequest, McpToolCall, ToolCall


class ToolCallCodec:
    """A tool the agent ran: name, call id, input, output, error."""

    kind = ToolCall.kind

    def to_dict(self, event: ToolCall, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "name": event.name}
        if event.call_id is not None:
            out["call_id"] = event.call_id
        write_timing(event, out)
        out["input"] = scrub.data(event.input)
        out["output"] = scrub.data(event.output)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> ToolCall:
        timing = r.timing(data, where)
        return ToolCall(
            name=r.get(data, "name", str, where, required=True),
            input=data.get("input"),
            output=data.get("output"),
            error=r.get(data, "error", str, where),
            call_id=r.get(data, "call_id", str, where),
            **timing,
        )


class McpToolCallCodec:
    """An MCP tools/call: the server, the tool, its arguments, the wire result or JSON-RPC error."""

    kind = McpToolCall.kind

    def to_dict(self, event: McpToolCall, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "server": scrub.text(event.server), "name": event.name}
        write_timing(event, out)
        out["input"] = scrub.data(event.input)
        out["output"] = scrub.data(event.output)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
        if event.rpc_error is not None:
            out["rpc_error"] = scrub.data(event.rpc_error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> McpToolCall:
        timing = r.timing(data, where)
        return McpToolCall(
            name=r.get(data, "name", str, where, required=True),
            server=r.get(data, "server", str, where, required=True),
            input=data.get("input"),
            output=r.get(data, "output", dict, where),
            error=r.get(data, "error", str, where),
            rpc_error=r.get(data, "rpc_error", dict, where),
            **timing,
        )


class McpRequestCodec:
    """Another MCP request (initialize, tools/list, resources/read, ...): method, params, result."""

    kind = McpRequest.kind

    def to_dict(self, event: McpRequest, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "server": scrub.text(event.server), "method": event.method}
        write_timing(event, out)
        if event.params is not None:
            out["params"] = scrub.data(event.params)
        out["result"] = scrub.data(event.result)
        if event.rpc_error is not None:
            out["rpc_error"] = scrub.data(event.rpc_error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> McpRequest:
        timing = r.timing(data, where)
        return McpRequest(
            server=r.get(data, "server", str, where, required=True),
            method=r.get(data, "method", str, where, required=True),
            params=r.get(data, "params", dict, where),
            result=r.get(data, "result", dict, where),
            rpc_error=r.get(data, "rpc_error", dict, where),
            **timing,
        )


class AgentDecisionCodec:
    """A routing/branching choice the agent logged, with its detail."""

    kind = AgentDecision.kind

    def to_dict(self, event: AgentDecision, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "decision": event.decision}
        write_timing(event, out)
        if event.detail:
            out["detail"] = scrub.data(event.detail)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> AgentDecision:
        timing = r.timing(data, where)
        return AgentDecision(
            decision=r.get(data, "decision", str, where, required=True),
            detail=r.get(data, "detail", dict, where) or {},
            **timing,
        )


class ErrorEventCodec:
    """An exception the agent raised: its type and message."""

    kind = ErrorEvent.kind

    def to_dict(self, event: ErrorEvent, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "error_type": event.error_type}
        write_timing(event, out)
        out["message"] = scrub.text(event.message)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> ErrorEvent:
        timing = r.timing(data, where)
        return ErrorEvent(
            error_type=r.get(data, "error_type", str, where, required=True),
            message=r.get(data, "message", str, where) or "",
            **timing,
        )


class JudgmentCodec:
    """An LLM-as-judge verdict: intent, verdict, score, reasoning."""

    kind = Judgment.kind
    _FIELDS = ("intent", "verdict", "score", "reasoning")  # in the order the cassette lists them

    def to_dict(self, event: Judgment, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "name": event.name}
        write_timing(event, out)
        for key in self._FIELDS:
            value = getattr(event, key)
            if value is not None:
                out[key] = scrub.text(value) if isinstance(value, str) else value
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> Judgment:
        timing = r.timing(data, where)
        return Judgment(
            name=r.get(data, "name", str, where, required=True),
            verdict=r.get(data, "verdict", str, where),
            score=r.get(data, "score", NUMBER, where),
            reasoning=r.get(data, "reasoning", str, where),
            intent=r.get(data, "intent", str, where),
            **timing,
        )
