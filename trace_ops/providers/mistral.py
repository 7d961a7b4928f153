"""Mistral's API (the `mistralai` SDK, not Stainless-generated): OpenAI's chat format.

Recorded by the HTTP-level fallback (`intercept_http=True`): a request is a Mistral call when it
goes to a `mistral.ai` host or comes from Mistral's SDK (its user agent), at `/v1/chat/completions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from trace_ops.providers import openai

_PATHS = {"/v1/chat/completions": "chat.completions", "/v1/embeddings": "embeddings"}


def http_endpoint(host: str, path: str, headers: Mapping[str, str]) -> tuple[str, str | None] | None:
    endpoint = _PATHS.get(path)
    if endpoint is None:
        return None
    agent = headers.get("user-agent", "")
    mistral = host.endswith("mistral.ai") or agent.startswith("mistral-client") or "mistralai" in agent
    return (endpoint, None) if mistral else None


PROVIDER = dataclasses.replace(
    openai.PROVIDER,
    name="mistral",
    finish_aliases={**openai.PROVIDER.finish_aliases, "model_length": "length"},
    http_endpoint=http_endpoint,
)
