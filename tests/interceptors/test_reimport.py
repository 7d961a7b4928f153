"""An SDK imported afresh (a new module object, e.g. after in-process pytester restores
`sys.modules`) is patched too: a session must never run with its calls going unrecorded."""

from __future__ import annotations

import importlib
import sys

from trace_ops import Recorder
from trace_ops.testing import FakeLLMServer


def test_a_reimported_sdk_is_recorded(fake_llm: FakeLLMServer) -> None:
    import openai

    with Recorder():  # patches the openai imported now...
        pass
    with Recorder() as outer:  # ...and while a session holds the patch, the SDK is imported again
        saved = {n: m for n, m in sys.modules.items() if n == "openai" or n.startswith("openai.")}
        for name in saved:
            del sys.modules[name]
        try:
            new_openai = importlib.import_module("openai")
            assert new_openai is not openai
            client = new_openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-x", max_retries=0)
            with Recorder() as inner:
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        finally:
            for name in [n for n in sys.modules if n == "openai" or n.startswith("openai.")]:
                del sys.modules[name]
            sys.modules.update(saved)
    assert inner.trace.total_llm_calls == 1
    assert outer.trace.total_llm_calls == 1
