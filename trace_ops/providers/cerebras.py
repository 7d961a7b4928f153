"""Cerebras (the `cerebras-cloud-sdk`, Stainless-generated): OpenAI's chat format.

Its client warms a TCP connection on creation (`GET /v1/tcp_warming`): that call is never recorded.
"""

from __future__ import annotations

import dataclasses

from trace_ops.providers import openai
from trace_ops.providers._base import StainlessSDK

PROVIDER = dataclasses.replace(
    openai.PROVIDER,
    name="cerebras",
    sdk=StainlessSDK("cerebras.cloud.sdk", passthrough_paths=("/v1/tcp_warming",)),
)
