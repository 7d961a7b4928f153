"""What a provider entry is, and the small readers every wire format shares."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trace_ops.view import ResponseView

HTTPEndpoint = Callable[[str, str, Mapping[str, str]], "tuple[str, str | None] | None"]


def _never(body: dict[str, Any]) -> bool:
    return False


@dataclass(frozen=True)
class StainlessSDK:
    """How a Stainless-generated SDK (same `_base_client` as openai's) reaches this provider:
    enough for `trace_ops.interceptors` to patch it with no code of its own."""

    #: The package's import name (`groq`, `cerebras.cloud.sdk`).
    module: str
    #: Path prefixes dropped from the endpoint name (`openai/v1/chat/completions` -> `chat.completions`).
    path_prefixes: tuple[str, ...] = ("v1/",)
    #: SSE markers after which a stream is complete even if the caller closed it early.
    stream_end_markers: tuple[str, ...] = ("data: [DONE]",)
    #: Paths the SDK calls on its own (a connection warm-up): never recorded nor replayed.
    passthrough_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """One provider's wire format and pricing: everything trace_ops knows that is specific to it.

    The parsers work on the wire JSON kept in cassettes (never the SDK), so reading a trace
    needs no provider SDK installed. Patching the SDK is the interceptors' job
    (`trace_ops.interceptors`): one interceptor may record several providers' formats.
    """

    #: The `provider:` value of its calls in a cassette.
    name: str
    #: (endpoint, response body) -> view of a recorded, non-streamed answer.
    view: Callable[[str, dict[str, Any]], ResponseView]
    #: (endpoint, the SSE body's JSON chunks in order) -> view of a recorded stream.
    stream_view: Callable[[str, list[Any]], ResponseView]
    #: response body -> view, when the endpoint is not known (an SDK object given to `normalize_response`).
    body_view: Callable[[dict[str, Any]], ResponseView]
    #: Whether a body is in this format whatever provider name came with it (Anthropic's `type: message`).
    owns_body: Callable[[dict[str, Any]], bool] = _never
    #: Provider-specific finish reasons -> the neutral ones (`stop`, `tool_calls`, `length`).
    finish_aliases: Mapping[str, str] = field(default_factory=dict)
    #: genai-prices' provider id; None: the same as `name`.
    price_id: str | None = None
    #: genai-prices takes this id without listing it: it reads the provider from the model
    #: name's `provider/` prefix (LiteLLM's `anthropic/claude-…`).
    prices_by_model_prefix: bool = False
    #: Its `Usage.input_tokens` excludes cache reads and writes (genai-prices wants them included).
    input_excludes_cache: bool = False
    #: The Stainless SDK that calls it, patched through the shared seam (None: another interceptor).
    sdk: StainlessSDK | None = None
    #: (host, path, request headers) -> (endpoint, model named in the path) when an HTTP request
    #: is a call of this provider: the HTTP-level fallback then records it as an `llm_call`.
    http_endpoint: HTTPEndpoint | None = None


def json_or_text(raw: Any) -> Any:
    """Tool-call arguments: parsed when they are JSON text, as they are otherwise."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def count(value: Any) -> int:
    """A token count from the wire (0 when absent or not an integer)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def model_only(body: dict[str, Any]) -> ResponseView:
    """The view of an answer that is no completion (a model listing, a token count): its model, if named."""
    model = body.get("model")
    return ResponseView(model=model if isinstance(model, str) else None)
