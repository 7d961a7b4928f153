"""Anthropic SDK: messages (plain, raw event stream, `messages.stream()` helper), count_tokens, …"""

from __future__ import annotations

from trace_ops.interceptors._stainless import StainlessInterceptor
from trace_ops.providers import anthropic as wire


class AnthropicInterceptor(StainlessInterceptor):
    provider = wire.PROVIDER.name  # its calls are read by trace_ops.providers.anthropic
    module_name = "anthropic"
    stream_end_markers = ("event: message_stop",)
