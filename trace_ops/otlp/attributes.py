"""The OpenTelemetry names trace_ops writes and reads: our own table, not the semconv package.

The GenAI conventions are still in Development and the Python constants move between
releases; exported files must not change with an installed package, so the names are kept
here, with the deprecated spellings the importer still accepts (older instrumentations emit
`gen_ai.system`, `gen_ai.usage.prompt_tokens`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# ---------------------------------------------------------------- span attributes (current names)

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION_ID = "gen_ai.conversation.id"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE = "gen_ai.request.temperature"
REQUEST_TOP_P = "gen_ai.request.top_p"
REQUEST_TOP_K = "gen_ai.request.top_k"
REQUEST_STOP = "gen_ai.request.stop_sequences"
REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
REQUEST_SEED = "gen_ai.request.seed"
REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
REQUEST_STREAM = "gen_ai.request.stream"
REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
OUTPUT_TYPE = "gen_ai.output.type"
RESPONSE_ID = "gen_ai.response.id"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
RESPONSE_TTFC = "gen_ai.response.time_to_first_chunk"  # seconds
USAGE_INPUT = "gen_ai.usage.input_tokens"
USAGE_OUTPUT = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
TOOL_DEFINITIONS = "gen_ai.tool.definitions"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"

# evaluation events (`gen_ai.evaluation.result`)
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE = "gen_ai.evaluation.score.value"
EVALUATION_LABEL = "gen_ai.evaluation.score.label"
EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

# exceptions, as the OTel exception event spells them
EXCEPTION_EVENT = "exception"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"

# what OTLP has no name for but a round trip needs (ours, under our own namespace)
TO_PROVIDER = "trace_ops.provider"
TO_ENDPOINT = "trace_ops.endpoint"
TO_TRACE_ID = "trace_ops.trace.id"
TO_STATUS = "trace_ops.http.status"
TO_INCOMPLETE = "trace_ops.incomplete"
TO_TOOL_ERROR = "trace_ops.tool.error"
TO_DECISION_EVENT = "trace_ops.agent_decision"
TO_DECISION = "trace_ops.decision"
TO_DECISION_DETAIL = "trace_ops.decision.detail"
TO_INTENT = "trace_ops.evaluation.intent"

#: Old spelling -> current one. The importer reads either; the exporter writes only the current.
DEPRECATED: Mapping[str, str] = {
    "gen_ai.system": PROVIDER,
    "gen_ai.usage.prompt_tokens": USAGE_INPUT,
    "gen_ai.usage.completion_tokens": USAGE_OUTPUT,
    "gen_ai.usage.cache_read_input_tokens": USAGE_CACHE_READ,
    "gen_ai.usage.cache_creation_input_tokens": USAGE_CACHE_CREATION,
    "gen_ai.usage.details.cached_tokens": USAGE_CACHE_READ,
    "gen_ai.usage.details.reasoning_tokens": USAGE_REASONING,
    "gen_ai.response.finish_reason": RESPONSE_FINISH_REASONS,
    "gen_ai.openai.request.seed": REQUEST_SEED,
    "gen_ai.openai.request.response_format": OUTPUT_TYPE,
    "gen_ai.prompt": INPUT_MESSAGES,
    "gen_ai.completion": OUTPUT_MESSAGES,
    "gen_ai.tool.call.arguments.json": TOOL_ARGUMENTS,
}

# ---------------------------------------------------------------- values

#: trace_ops endpoint -> `gen_ai.operation.name`.
OPERATIONS: Mapping[str, str] = {
    "chat.completions": "chat",
    "responses": "chat",
    "messages": "chat",
    "completion": "chat",
    "completions": "text_completion",
    "embeddings": "embeddings",
    "embedding": "embeddings",
}

#: trace_ops provider name -> `gen_ai.provider.name` (the conventions' well-known values).
PROVIDER_NAMES: Mapping[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure_openai": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "xai": "x_ai",
}

#: `gen_ai.provider.name` (and old `gen_ai.system` values) -> trace_ops provider name.
PROVIDERS_BY_OTEL: Mapping[str, str] = {
    **{otel: ours for ours, otel in PROVIDER_NAMES.items()},
    "az.ai.openai": "azure_openai",
    "azure.ai.inference": "azure_openai",
    "aws_bedrock": "bedrock",
    "gcp.gen_ai": "gemini",
    "vertex_ai": "vertex_ai",
    "gemini": "gemini",
    "xai": "xai",
}

# OTLP span kinds and status codes (the proto's integer enums)
KIND_INTERNAL = 1
KIND_CLIENT = 3
STATUS_UNSET = 0
STATUS_OK = 1
STATUS_ERROR = 2


def canonical(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes under their current names (a current name wins over its old spelling)."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        new = DEPRECATED.get(key)
        if new is None:
            out[key] = value
        else:
            out.setdefault(new, value)
    for key, value in attributes.items():  # current names override what an alias set
        if key not in DEPRECATED:
            out[key] = value
    return out
