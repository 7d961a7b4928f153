"""Codecs of the span events framework capture adds: graph and node runs (LangGraph), other
framework runs (CrewAI crews, tasks, agents)."""

from __future__ import annotations

from typing import Any

from trace_ops.cassette.codec import Reader, write_timing
from trace_ops.scrub import Scrubber
from trace_ops.trace import GraphRun, NodeRun, SpanRun


class GraphRunCodec:
    """A graph run: its name, span id, timing and error."""

    kind = GraphRun.kind

    def to_dict(self, event: GraphRun, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "name": event.name}
        if event.span_id is not None:
            out["span_id"] = event.span_id
        write_timing(event, out)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> GraphRun:
        return GraphRun(
            name=r.get(data, "name", str, where, required=True),
            span_id=r.get(data, "span_id", str, where),
            error=r.get(data, "error", str, where),
            **r.timing(data, where),
        )


class NodeRunCodec:
    """A node run: its name, span id, superstep, timing and error; `parent` is its graph."""

    kind = NodeRun.kind

    def to_dict(self, event: NodeRun, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "name": event.name}
        if event.span_id is not None:
            out["span_id"] = event.span_id
        if event.step is not None:
            out["step"] = event.step
        write_timing(event, out)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> NodeRun:
        return NodeRun(
            name=r.get(data, "name", str, where, required=True),
            span_id=r.get(data, "span_id", str, where),
            step=r.get(data, "step", int, where),
            error=r.get(data, "error", str, where),
            **r.timing(data, where),
        )


class SpanRunCodec:
    """Another framework's run: its category (crew, task, agent), name, span id, timing, error."""

    kind = SpanRun.kind

    def to_dict(self, event: SpanRun, scrub: Scrubber) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "category": event.category, "name": scrub.text(event.name)}
        if event.span_id is not None:
            out["span_id"] = event.span_id
        write_timing(event, out)
        if event.error is not None:
            out["error"] = scrub.text(event.error)
        return out

    def from_dict(self, r: Reader, data: dict[str, Any], where: str) -> SpanRun:
        return SpanRun(
            category=r.get(data, "category", str, where, required=True),
            name=r.get(data, "name", str, where, required=True),
            span_id=r.get(data, "span_id", str, where),
            error=r.get(data, "error", str, where),
            **r.timing(data, where),
        )
