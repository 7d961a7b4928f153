"""Groq's answers: OpenAI's chat completions, with a stream's usage in `x_groq.usage` on the
finishing chunk (how Groq reports it) instead of an OpenAI usage chunk."""

from __future__ import annotations

import json

from trace_ops.testing._openai import answer_chat_completions
from trace_ops.testing._wire import JSONDict, Reply, SseReply, sse_data


def answer_groq_chat(body: JSONDict) -> Reply:
    """``POST /openai/v1/chat/completions``."""
    if not body.get("stream"):
        return answer_chat_completions(body)
    reply = answer_chat_completions({**body, "stream_options": {"include_usage": True}})
    if not isinstance(reply, SseReply):
        return reply
    chunks = [json.loads(event[len(b"data: ") :]) for event in reply.events[:-1]]  # all but [DONE]
    usage_chunk = chunks.pop()
    finish = chunks[-1]
    for chunk in chunks:
        chunk.pop("usage", None)
    finish["x_groq"] = {"id": "req_" + str(finish["id"])[-12:], "usage": usage_chunk["usage"]}
    return SseReply([*(sse_data(chunk) for chunk in chunks), reply.events[-1]], reply.headers)
