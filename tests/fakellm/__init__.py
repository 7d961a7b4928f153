"""The fake LLM server now lives in the package (`trace_ops.testing`); tests keep importing it here."""

from trace_ops.testing import FakeLLMServer

__all__ = ["FakeLLMServer"]
