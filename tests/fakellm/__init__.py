"""Deterministic fake OpenAI/Anthropic HTTP server for tests and the demo."""

from tests.fakellm.server import FakeLLMServer

__all__ = ["FakeLLMServer"]
