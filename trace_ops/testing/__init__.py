"""Test helpers shipped with trace_ops: a fake OpenAI + Anthropic server for offline agent tests.

`FakeLLMServer` answers the real SDKs over real HTTP on 127.0.0.1, deterministically, so an
agent can be recorded and replayed without network, keys or cost. trace_ops' own tests and
the demo start it the same way users do (see `trace_ops.testing.fake_llm`).
"""

from trace_ops.testing.fake_llm import FakeLLMServer

__all__ = ["FakeLLMServer"]
