"""Together AI (the `together` SDK, Stainless-generated): OpenAI's chat format.

Without a custom `base_url` its chat calls go to an absolute inference URL; the endpoint
name is the same either way (`chat.completions`).
"""

from __future__ import annotations

import dataclasses

from trace_ops.providers import openai
from trace_ops.providers._base import StainlessSDK

PROVIDER = dataclasses.replace(openai.PROVIDER, name="together", sdk=StainlessSDK("together"))
