"""MCP clients over stdio: every request an agent's MCP client sends, recorded beside its LLM calls.

The seam is the stdio transport's server process: `mcp.client.stdio.stdio_client` spawns it
through `_create_platform_compatible_process`, a module global looked up at call time, so a
`stdio_client` imported before trace_ops is covered too. Recording taps the real process's
pipes and pairs each JSON-RPC request with its response; replaying hands the transport a
stand-in process that answers every request from the cassette, so the server never starts and
`ClientSession` builds its own types from the recorded JSON. `tools/call` becomes a tool-call
event (the diff and `assert_tool_called` see MCP tools as tools); other requests
(`initialize`, `tools/list`, `resources/read`, `prompts/get`, ...) become `mcp_request` events.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import sys
import threading
import time
import weakref
from collections import deque
from typing import Any

import wrapt

from trace_ops._seam import SeamSession, current_session
from trace_ops.trace import Event, McpRequest, McpToolCall, utc_now_iso

_TARGET = "_create_platform_compatible_process"
_PYTHONS = ("python", "python3", "pypy", "pypy3")


def server_id(command: str, args: list[str]) -> str:
    """A server's name that survives a move to another machine: file names without their folders,
    any Python interpreter as `python` (CI's interpreter path is never the developer's)."""
    first = os.path.basename(command)
    if first.startswith(_PYTHONS) or os.path.abspath(command) == os.path.abspath(sys.executable):
        first = "python"
    rest = [os.path.basename(a) if os.sep in a else a for a in args]
    return " ".join([first, *rest])


def _match_key(method: str, params: Any) -> str:
    """What a replayed request must repeat: its method and params, without the per-connection
    `_meta` stamp; `initialize` by method only (its params carry the client library's version)."""
    if method == "initialize":
        return method
    return method + " " + json.dumps(_without_meta(params), sort_keys=True, default=str)


def _without_meta(params: Any) -> Any:
    if isinstance(params, dict) and "_meta" in params:
        return {k: v for k, v in params.items() if k != "_meta"}
    return params


class _Answers:
    """A cassette's recorded MCP requests per server, consumed in recorded order (thread-safe)."""

    def __init__(self, events: list[Event]) -> None:
        self._lock = threading.Lock()
        self._queues: dict[tuple[str, str], deque[McpToolCall | McpRequest]] = {}
        self.servers: set[str] = set()
        for event in events:
            if isinstance(event, McpToolCall):
                params = {"name": event.name, "arguments": event.input}
                key = _match_key("tools/call", params)
            elif isinstance(event, McpRequest):
                key = _match_key(event.method, event.params)
            else:
                continue
            self.servers.add(event.server)
            self._queues.setdefault((event.server, key), deque()).append(event)

    def take(self, server: str, method: str, params: Any) -> McpToolCall | McpRequest | None:
        with self._lock:
            queue = self._queues.get((server, _match_key(method, params)))
            return queue.popleft() if queue else None


_answers: weakref.WeakKeyDictionary[Any, _Answers] = weakref.WeakKeyDictionary()
_answers_lock = threading.Lock()


def _answers_for(session: SeamSession) -> _Answers | None:
    cassette = session.replaying_from()
    if cassette is None:
        return None
    with _answers_lock:
        found = _answers.get(session)
        if found is None:
            found = _answers[session] = _Answers(cassette.events)
        return found


def _event(server: str, method: str, params: Any, reply: dict[str, Any], started: float, at: str) -> Event:
    params = _without_meta(params)
    result = reply.get("result")
    rpc_error = reply.get("error") if isinstance(reply.get("error"), dict) else None
    duration = (time.perf_counter() - started) * 1000.0
    if method == "tools/call" and isinstance(params, dict):
        error = str(rpc_error.get("message")) if rpc_error is not None else None
        if error is None and isinstance(result, dict) and result.get("isError"):
            error = _text_of(result) or "the tool reported an error"
        return McpToolCall(
            name=str(params.get("name", "")),
            server=server,
            input=params.get("arguments"),
            output=result if isinstance(result, dict) else None,
            error=error,
            rpc_error=rpc_error,
            started_at=at,
            duration_ms=duration,
        )
    return McpRequest(
        server=server,
        method=method,
        params=params if isinstance(params, dict) else None,
        result=result if isinstance(result, dict) else None,
        rpc_error=rpc_error,
        started_at=at,
        duration_ms=duration,
    )


def _text_of(result: dict[str, Any]) -> str:
    parts = result.get("content")
    texts = [p.get("text", "") for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []
    return " ".join(t for t in texts if isinstance(t, str))


def _lines(buffer: bytearray, data: bytes) -> list[Any]:
    """Complete JSON lines in `buffer` + `data`, parsed (what is not JSON is skipped)."""
    buffer += data
    *complete, rest = bytes(buffer).split(b"\n")
    buffer[:] = rest
    out = []
    for line in complete:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


# ---------------------------------------------------------------- recording


class _Tap:
    """Pairs the JSON-RPC requests the client writes with the responses the server reads back."""

    def __init__(self, server: str, session: SeamSession) -> None:
        self.server = server
        self.session = session
        self._out = bytearray()
        self._in = bytearray()
        self._pending: dict[Any, tuple[str, Any, float, str]] = {}

    def outgoing(self, data: bytes) -> None:
        for message in _lines(self._out, data):
            if isinstance(message, dict) and "method" in message and "id" in message:
                self._pending[message["id"]] = (
                    str(message["method"]), message.get("params"), time.perf_counter(), utc_now_iso()
                )

    def incoming(self, data: bytes) -> None:
        for message in _lines(self._in, data):
            if not isinstance(message, dict) or "method" in message or "id" not in message:
                continue  # a notification or a request from the server: not an answer
            request = self._pending.pop(message["id"], None)
            if request is None:
                continue
            method, params, started, at = request
            try:
                self.session.add(_event(self.server, method, params, message, started, at), recorded=True)
            except Exception as exc:  # recording never breaks the agent
                self.session.note_unrecorded(f"MCP {method}: {type(exc).__name__}: {exc}")


class _Proxy:
    """Forwards everything to the real object; `isinstance` checks see the real class."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._real)


class _TappedStdin(_Proxy):
    def __init__(self, real: Any, tap: _Tap) -> None:
        super().__init__(real)
        self._tap = tap

    async def send(self, item: bytes) -> None:
        self._tap.outgoing(item)
        await self._real.send(item)


class _TappedStdout(_Proxy):
    def __init__(self, real: Any, tap: _Tap) -> None:
        super().__init__(real)
        self._tap = tap

    async def receive(self, max_bytes: int = 65536) -> bytes:
        chunk: bytes = await self._real.receive(max_bytes)
        self._tap.incoming(chunk)
        return chunk


class _RecordedProcess(_Proxy):
    """The real server process, its pipes tapped."""

    def __init__(self, real: Any, tap: _Tap) -> None:
        super().__init__(real)
        self.stdin = _TappedStdin(real.stdin, tap)
        self.stdout = _TappedStdout(real.stdout, tap)


# ---------------------------------------------------------------- replaying


class _ReplayedProcess:
    """Stands in for the server: answers each request line from the cassette, starts nothing."""

    pid = 0

    def __init__(self, server: str, answers: _Answers, session: SeamSession) -> None:
        import anyio

        self.server = server
        self.returncode: int | None = None
        self._answers = answers
        self._session = session
        self._buffer = bytearray()
        self._send, self._receive = anyio.create_memory_object_stream[bytes](math.inf)
        self.stdin = _ReplayStdin(self)
        self.stdout = _ReplayStdout(self)

    def written(self, data: bytes) -> None:
        for message in _lines(self._buffer, data):
            if isinstance(message, dict) and "method" in message and "id" in message:
                reply = self._reply(str(message["method"]), message.get("params"))
                line = json.dumps({"jsonrpc": "2.0", "id": message["id"], **reply}) + "\n"
                self._send.send_nowait(line.encode())

    def _reply(self, method: str, params: Any) -> dict[str, Any]:
        recorded = self._answers.take(self.server, method, params)
        if recorded is None:
            shown = json.dumps(_without_meta(params), default=str)
            shown = shown if len(shown) <= 200 else shown[:197] + "..."
            what = f"no recorded answer to MCP {method} {shown} of server {self.server!r}"
            error = self._session.refuse(what)
            return {"error": {"code": -32000, "message": str(error).splitlines()[0]}}
        if isinstance(recorded, McpToolCall):
            self._session.add(recorded, recorded=False)
            return {"error": recorded.rpc_error} if recorded.rpc_error else {"result": recorded.output or {}}
        self._session.add(recorded, recorded=False)
        return {"error": recorded.rpc_error} if recorded.rpc_error else {"result": recorded.result or {}}

    def close(self) -> None:
        self.returncode = 0
        self._send.close()

    async def wait(self) -> int:
        return 0

    def terminate(self) -> None:
        self.close()

    def kill(self) -> None:
        self.close()


class _ReplayStdin:
    def __init__(self, process: _ReplayedProcess) -> None:
        self._process = process

    async def send(self, item: bytes) -> None:
        self._process.written(item)

    async def aclose(self) -> None:
        self._process.close()


class _ReplayStdout:
    def __init__(self, process: _ReplayedProcess) -> None:
        self._process = process

    async def receive(self, max_bytes: int = 65536) -> bytes:
        return await self._process._receive.receive()

    async def aclose(self) -> None:
        self._process._receive.close()


# ---------------------------------------------------------------- the patch


class McpInterceptor:
    provider = "mcp"
    module_name = "mcp.client.stdio"

    def __init__(self) -> None:
        self._patched: tuple[Any, Any] | None = None

    def version(self) -> str | None:
        if self.module_name not in sys.modules:
            return None
        try:
            return importlib.metadata.version("mcp")
        except importlib.metadata.PackageNotFoundError:
            return None

    def install(self) -> None:
        module = sys.modules.get(self.module_name)
        if module is None or not hasattr(module, _TARGET):
            return
        if self._patched is not None:
            if self._patched[0] is module:
                return
            self.uninstall()
        original = getattr(module, _TARGET)
        setattr(module, _TARGET, wrapt.FunctionWrapper(original, _spawn))
        self._patched = (module, original)

    def uninstall(self) -> None:
        if self._patched is not None:
            module, original = self._patched
            setattr(module, _TARGET, original)
            self._patched = None


def _spawn(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _spawn_async(wrapped, args, kwargs)


async def _spawn_async(wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    session = current_session()
    if session is None:
        return await wrapped(*args, **kwargs)
    command = kwargs.get("command", args[0] if args else "")
    command_args = kwargs.get("args", args[1] if len(args) > 1 else [])
    server = server_id(str(command), [str(a) for a in command_args or []])
    answers = _answers_for(session)
    if answers is not None and server in answers.servers:
        return _ReplayedProcess(server, answers, session)
    if answers is not None and not session.records_misses:
        known = ", ".join(sorted(answers.servers)) or "none"
        raise session.refuse(f"MCP server {server!r} was not recorded (recorded servers: {known})")
    process = await wrapped(*args, **kwargs)
    return _RecordedProcess(process, _Tap(server, session))
