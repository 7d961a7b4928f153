"""The floor every per-call row is compared with: a real SDK client over `httpx2.MockTransport`.

The client pays everything a call costs except the network, and no trace_ops session is
active, so trace_ops is not patched in at all.
"""

from __future__ import annotations

from collections.abc import Callable

import anthropic
import httpx2
import openai

Handler = Callable[[httpx2.Request], httpx2.Response]


def openai_client(handler: Handler) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-x",
        base_url="http://bench.local/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def anthropic_client(handler: Handler) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-x",
        base_url="http://bench.local",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def json_handler(body: bytes) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    return handler


def sse_handler(parts: list[bytes]) -> Handler:
    # An iterator body, delivered chunk by chunk as from a socket. (With `content=<bytes>`
    # httpx2 pre-reads the body and trace_ops records the stream as a plain text `response:`.)
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=iter(parts), headers={"content-type": "text/event-stream"})

    return handler
