"""A deterministic fake LLM HTTP server speaking the OpenAI and Anthropic wire formats.

Why: record/replay tests, the demo and users' own agent tests need real SDK clients
talking real HTTP (headers, status codes, chunked SSE) without network access, API keys,
cost or flakiness. Every answer is a pure function of the request body, so two identical
requests always produce byte-identical response bodies.

    from trace_ops.testing import FakeLLMServer

    with FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="test")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        # -> "Echo: hi"; anthropic.Anthropic(base_url=server.anthropic_base_url, ...) works alike

What it answers: `POST /v1/chat/completions`, `/v1/responses`, `/v1/embeddings` (OpenAI; also
cerebras, together and mistral chat), `/openai/v1/chat/completions` (groq), `/v1/messages`,
`/v1/messages/count_tokens` (Anthropic) and `/v1beta/models/{model}:generateContent`,
`:streamGenerateContent?alt=sse`, `:countTokens` (Gemini), plain or streamed; `GET /health`
(JSON) and `GET /events` (an SSE stream of text events), which are no LLM API. A user message is
echoed (`Echo: ...`); with tools the first tool is called with `{"query": <user text>}` (or, when
its schema has other parameters and no `query`, each required one filled by type), and a
tool result is answered `Based on the tool result: ...`. A model named `error-429`,
`error-500` or `error-400` gets that error; a model name containing `thinking` (Anthropic)
gets a thinking block. `requests` lists what it received. Standard library only.

The answers are built in `_openai` and `_anthropic` from the parts in `_wire`; this module
routes a request to its answer and serves it.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from trace_ops.testing._anthropic import answer_count_tokens, answer_messages
from trace_ops.testing._gemini import answer_gemini, gemini_error
from trace_ops.testing._groq import answer_groq_chat
from trace_ops.testing._openai import answer_chat_completions, answer_embeddings, answer_responses
from trace_ops.testing._wire import (
    JSONDict,
    JsonReply,
    Reply,
    SseReply,
    anthropic_error,
    injected_error,
    openai_error,
)

__all__ = ["FakeLLMServer"]

FIXED_HTTP_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
"""The ``Date`` header, pinned to ``CREATED`` so recorded headers are reproducible too."""

_ROUTES = {
    "/v1/chat/completions": (answer_chat_completions, False),  # also cerebras, together, mistral
    "/openai/v1/chat/completions": (answer_groq_chat, False),
    "/v1/responses": (answer_responses, False),
    "/v1/embeddings": (answer_embeddings, False),
    "/v1/messages": (answer_messages, True),
    "/v1/messages/count_tokens": (answer_count_tokens, True),
}


#: `/v1beta/models/gemini-2.0-flash:generateContent` (google-genai)
_GEMINI = re.compile(r"^/v1(?:beta|alpha)?/models/([^/:]+):([A-Za-z]+)$")


def dispatch(method: str, path: str, body: Any) -> Reply:
    """Route one request to its pure answer function (no I/O, no state)."""
    if method == "GET" and path == "/health":  # URLs that are no LLM API (plain HTTP tests)
        return JsonReply(200, {"status": "ok"})
    if method == "GET" and path == "/events":
        return SseReply([b"event: tick\ndata: one\n\n", b"event: tick\ndata: two\n\n"])
    gemini = _GEMINI.match(path) if method == "POST" else None
    if gemini is not None:
        if not isinstance(body, dict):
            return gemini_error(400, "INVALID_ARGUMENT", "Request body must be a JSON object.")
        return answer_gemini(gemini.group(1), gemini.group(2), body)
    route = _ROUTES.get(path) if method == "POST" else None
    if route is None:
        return openai_error(404, f"Invalid URL ({method} {path})", "invalid_request_error", None)
    handler, anthropic = route
    if not isinstance(body, dict):
        if anthropic:
            return anthropic_error(400, "invalid_request_error", "Request body must be a JSON object.")
        return openai_error(400, "Request body must be a JSON object.", "invalid_request_error", None)
    return injected_error(body, anthropic) or handler(body)


# --------------------------------------------------------------------------- HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its owner and tracks open connections.

    Why track: keep-alive connections from SDK connection pools would otherwise
    keep handler threads blocked forever after ``stop()``.
    """

    daemon_threads = True
    request_queue_size = 256  # tests fire dozens of concurrent connections (asyncio.gather)
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: FakeLLMServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients dropping connections (pool shutdown, abandoned streams); report the rest."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Reads one JSON request, records it, and writes the plain or SSE answer."""

    protocol_version = "HTTP/1.1"
    # Why: headers and body/chunks are separate small writes; with Nagle on, the
    # client's delayed ACK adds ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "fakellm/1.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        srv = cast(_HTTPServer, self.server)
        with srv.connections_lock:
            srv.connections.add(self.connection)

    def finish(self) -> None:
        srv = cast(_HTTPServer, self.server)
        with srv.connections_lock:
            srv.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (it would spam test output)."""

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Pin the Date header so recorded headers are reproducible."""
        return FIXED_HTTP_DATE

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        owner = cast(_HTTPServer, self.server).owner
        raw = self._read_body()
        body: Any
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        owner._record(
            {
                "method": self.command,
                "path": path,
                "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )
        reply = dispatch(self.command, path, body)
        if owner.delay_s > 0:
            time.sleep(owner.delay_s)
        try:
            if isinstance(reply, JsonReply):
                self._send_json(reply)
            else:
                self._send_sse(reply, owner.delay_s)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_json(self, reply: JsonReply) -> None:
        data = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**reply.headers, **cast(_HTTPServer, self.server).owner.extra_headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_sse(self, reply: SseReply, delay_s: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in {**reply.headers, **cast(_HTTPServer, self.server).owner.extra_headers}.items():
            self.send_header(name, value)
        self.end_headers()
        last = len(reply.events) - 1
        for i, event in enumerate(reply.events):
            if i and delay_s > 0:
                time.sleep(delay_s)
            # One HTTP chunk per SSE event, flushed, so clients see real incremental delivery.
            data = b"%x\r\n%s\r\n" % (len(event), event)
            if i == last:
                # The terminating zero chunk rides in the same write as the final event:
                # SDKs stop reading at [DONE]/message_stop, and a terminator left unread
                # in the kernel buffer turns their close() into a TCP reset.
                data += b"0\r\n\r\n"
            self.wfile.write(data)
            self.wfile.flush()
        if last < 0:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()


# --------------------------------------------------------------------------- public API


class FakeLLMServer:
    """Deterministic fake OpenAI + Anthropic server on a background thread.

    Why: lets tests and the demo drive the real SDKs over real HTTP, offline.
    The socket is bound in ``__init__`` (so ``url`` is known immediately);
    ``delay_s`` sleeps before each response and between SSE events, to make
    latency and incremental streaming observable. ``extra_headers`` are added to (or
    replace) every answer's headers, sent as latin-1 as a real server may.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        delay_s: float = 0.0,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.extra_headers = dict(extra_headers or {})
        self._lock = threading.Lock()
        self._requests: list[JSONDict] = []
        self._count = 0
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        self._stopped = False
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.url = f"http://{self.host}:{self.port}"
        self.openai_base_url = self.url + "/v1"
        self.anthropic_base_url = self.url
        #: base URLs of the other SDKs it speaks to (OpenAI's chat format; groq's under /openai/v1)
        self.groq_base_url = self.cerebras_base_url = self.together_base_url = self.url
        self.gemini_base_url = self.mistral_base_url = self.url

    def start(self) -> FakeLLMServer:
        """Serve on a daemon thread (idempotent); returns self for chaining."""
        if self._stopped:
            raise RuntimeError("FakeLLMServer cannot be restarted after stop(); create a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fakellm", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections, close the socket; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        with self._httpd.connections_lock:
            connections = list(self._httpd.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: JSONDict) -> None:
        with self._lock:
            self._count += 1
            self._requests.append(request)

    @property
    def request_count(self) -> int:
        """Number of requests received (recorded before the answer is sent)."""
        with self._lock:
            return self._count

    @property
    def requests(self) -> list[JSONDict]:
        """Snapshot copy of recorded requests: method, path, body, headers (lower-case)."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget recorded requests and zero the counter."""
        with self._lock:
            self._count = 0
            self._requests.clear()
