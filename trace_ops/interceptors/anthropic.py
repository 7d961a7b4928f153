"""Anthropic SDK: messages (plain, raw event stream, `messages.stream()` helper), count_tokens, …"""

from __future__ import annotations

from trace_ops.interceptors._stainless import StainlessInterceptor


class AnthropicInterceptor(StainlessInterceptor):
    provider = "anthropic"
    module_name = "anthropic"
    stream_end_markers = ("event: message_stop",)
