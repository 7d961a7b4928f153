"""Groq (the `groq` SDK, Stainless-generated): OpenAI's chat format under `/openai/v1/`.

A stream's usage may come in `x_groq.usage` on its last chunk instead of `usage`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trace_ops.providers import openai
from trace_ops.providers._base import StainlessSDK
from trace_ops.view import ResponseView


def stream_view(endpoint: str, chunks: list[Any]) -> ResponseView:
    view = openai.stream_view(endpoint, chunks)
    if view.usage is not None:
        return view
    for chunk in reversed(chunks):
        extra = chunk.get("x_groq") if isinstance(chunk, dict) else None
        if isinstance(extra, dict) and isinstance(extra.get("usage"), dict):
            return dataclasses.replace(view, usage=openai.usage(extra["usage"]))
    return view


PROVIDER = dataclasses.replace(
    openai.PROVIDER,
    name="groq",
    stream_view=stream_view,
    sdk=StainlessSDK("groq", path_prefixes=("openai/v1/", "v1/")),
)
