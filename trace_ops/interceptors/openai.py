"""OpenAI SDK (1.x, 2.x over httpx; 3.x over httpx2): chat completions, responses, embeddings, …"""

from __future__ import annotations

from trace_ops.interceptors._stainless import StainlessInterceptor
from trace_ops.providers import openai as wire


class OpenAIInterceptor(StainlessInterceptor):
    provider = wire.PROVIDER.name  # its calls are read by trace_ops.providers.openai
    module_name = "openai"
    stream_end_markers = ("data: [DONE]", "response.completed", "response.incomplete", "response.failed")
