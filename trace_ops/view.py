"""The provider-neutral view of an LLM call's answer: text, tool calls, finish reason, usage.

Part of the model (`LLMCall.view` returns one), so it is defined here, below the model; the
parsers that build it from each provider's wire data live in `trace_ops.providers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Usage:
    """Token counts. `cached_tokens`: input read from a prompt cache; `cache_write_tokens`: written to one."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ToolCallRequest:
    """A tool call the model asked for, with arguments parsed when they are JSON."""

    name: str
    arguments: Any
    id: str | None = None


@dataclass(frozen=True)
class ResponseView:
    """What an LLM call answered, independent of the provider."""

    model: str | None = None
    text: str = ""
    tool_calls: tuple[ToolCallRequest, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    extra: dict[str, Any] = field(default_factory=dict)
