"""LiteLLM: its calls keep `ModelResponse` dumps, OpenAI-shaped whatever provider it routed to.

Priced under genai-prices' `litellm` id, which reads the provider from the model's prefix
(`anthropic/claude-…`).
"""

from __future__ import annotations

import dataclasses

from trace_ops.providers import openai

PROVIDER = dataclasses.replace(openai.PROVIDER, name="litellm", prices_by_model_prefix=True)
