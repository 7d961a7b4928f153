"""Provider interceptors, installed while at least one session is active.

An SDK imported after a session started is patched on import (a post-import hook), so
importing providers lazily inside agent code is fine.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import wrapt

from trace_ops import providers
from trace_ops.interceptors import transport
from trace_ops.interceptors._stainless import StainlessInterceptor
from trace_ops.interceptors.anthropic import AnthropicInterceptor
from trace_ops.interceptors.litellm import LiteLLMInterceptor
from trace_ops.interceptors.mcp import McpInterceptor
from trace_ops.interceptors.openai import OpenAIInterceptor


class Interceptor(Protocol):
    provider: str
    module_name: str

    def install(self) -> None: ...
    def uninstall(self) -> None: ...
    def version(self) -> str | None: ...


INTERCEPTORS: list[Interceptor] = [
    OpenAIInterceptor(),
    AnthropicInterceptor(),
    LiteLLMInterceptor(),
    # every other provider entry that names its Stainless SDK: no interceptor code of its own
    *(
        StainlessInterceptor.for_sdk(entry.name, entry.sdk)
        for entry in providers.PROVIDERS.values()
        if entry.sdk is not None
    ),
    # the HTTP-level fallback (httpx, httpx2): only for sessions that ask, or cassettes that hold its calls
    *transport.http_interceptors(),
    McpInterceptor(),
]

_lock = threading.RLock()
_active = 0
_hooked: set[str] = set()


def _on_import(interceptor: Interceptor) -> Any:
    def hook(module: Any) -> None:
        with _lock:
            if _active:
                interceptor.install()

    return hook


def acquire() -> None:
    """A session started: make sure every importable SDK is patched."""
    global _active
    with _lock:
        _active += 1
        for interceptor in INTERCEPTORS:  # cheap when patched; catches an SDK re-imported since
            interceptor.install()
            if interceptor.module_name not in _hooked:
                _hooked.add(interceptor.module_name)
                wrapt.register_post_import_hook(_on_import(interceptor), interceptor.module_name)


def release() -> None:
    """A session ended: unpatch when it was the last one."""
    global _active
    with _lock:
        _active = max(0, _active - 1)
        if _active == 0:
            for interceptor in INTERCEPTORS:
                interceptor.uninstall()


def sdk_versions() -> dict[str, str]:
    """Versions of the provider SDKs in use, stored in each cassette."""
    versions = {}
    for interceptor in INTERCEPTORS:
        version = interceptor.version()
        if version:
            versions[interceptor.module_name] = version
    versions.update(transport.sdk_versions())
    return versions
