"""The providers trace_ops knows: one module per wire format, registered here.

Each module holds what is specific to one provider: wire JSON -> `ResponseView` (plain and
streamed), its finish reasons, how genai-prices names it. `trace_ops.normalize` and
`trace_ops.cost` ask this registry and know no provider themselves. A provider without an
entry is read as OpenAI-compatible and priced under its own name.

Adding a provider: a module with a `PROVIDER = Provider(...)`, and its line in `_REGISTERED`.
Recording it is the interceptors' job (`trace_ops.interceptors`, which name the provider); a
provider whose SDK is Stainless-generated names it (`sdk=StainlessSDK(...)`) and is patched
through the shared seam with no interceptor code of its own (groq, cerebras, together).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from trace_ops.providers import (
    anthropic,
    cerebras,
    gemini,
    groq,
    langchain,
    litellm,
    mistral,
    openai,
    together,
)
from trace_ops.providers._base import Provider, StainlessSDK

__all__ = [
    "FINISH_ALIASES",
    "HTTP_LEVEL",
    "OPENAI_COMPATIBLE",
    "PROVIDERS",
    "Provider",
    "StainlessSDK",
    "for_body",
    "lookup",
]

#: How a provider without an entry of its own is read (priced under its own name).
OPENAI_COMPATIBLE = dataclasses.replace(openai.PROVIDER, name="openai-compatible")


def _compatible(name: str, price_id: str) -> Provider:
    return dataclasses.replace(OPENAI_COMPATIBLE, name=name, price_id=price_id)


_REGISTERED = (
    openai.PROVIDER,
    anthropic.PROVIDER,
    litellm.PROVIDER,
    groq.PROVIDER,
    cerebras.PROVIDER,
    together.PROVIDER,
    gemini.PROVIDER,
    mistral.PROVIDER,
    langchain.PROVIDER,
    # no parser of their own yet: OpenAI-compatible, under another name in genai-prices
    _compatible("azure_openai", "azure"),
    _compatible("bedrock", "aws"),
    _compatible("vertex_ai", "google"),
    _compatible("xai", "x-ai"),
)

#: Provider name (as in a cassette's `provider:`) -> its entry.
PROVIDERS: Mapping[str, Provider] = {provider.name: provider for provider in _REGISTERED}

#: Providers the HTTP-level fallback recognises in a request (their calls are `llm_call` events).
HTTP_LEVEL: Mapping[str, Provider] = {p.name: p for p in _REGISTERED if p.http_endpoint is not None}

#: Every provider's finish reasons -> the neutral ones (`stop`, `tool_calls`, `length`).
FINISH_ALIASES: Mapping[str, str] = {
    reason: neutral for provider in _REGISTERED for reason, neutral in provider.finish_aliases.items()
}


def lookup(name: str) -> Provider:
    """The entry of the provider called `name` (exactly), or the OpenAI-compatible default."""
    return PROVIDERS.get(name, OPENAI_COMPATIBLE)


def for_body(body: dict[str, Any], name: str) -> Provider:
    """Who reads an answer given without its endpoint: the provider whose format the body
    declares (an Anthropic `type: message`), else the one named, else OpenAI-compatible."""
    for provider in _REGISTERED:
        if provider.owns_body(body):
            return provider
    return lookup(name)
