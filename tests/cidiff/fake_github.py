"""A local HTTP server that plays the part of the GitHub REST API's issue comments.

It keeps comments in memory and answers list (paginated), create and update as GitHub does,
checking the bearer token; tests read `comments` and `calls` to see what the client did.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
_ONE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")


class FakeGitHub:
    def __init__(self, token: str = "ghs_test_token_0123456789abcdef") -> None:
        self.token = token
        self.comments: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self._next = 1000
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner._handle(self, "GET")

            def do_POST(self) -> None:
                owner._handle(self, "POST")

            def do_PATCH(self) -> None:
                owner._handle(self, "PATCH")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, pr: int, body: str, user: str = "someone") -> int:
        self._next += 1
        self.comments[self._next] = {"id": self._next, "pr": pr, "body": body, "user": {"login": user}}
        return self._next

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path, _, query = h.path.partition("?")
        self.calls.append((method, h.path))
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(h, 401, {"message": "Bad credentials"})
        length = int(h.headers.get("Content-Length") or 0)
        payload = json.loads(h.rfile.read(length)) if length else None
        if (m := _LIST.match(path)) and method == "GET":
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            per_page, page = int(params.get("per_page", 30)), int(params.get("page", 1))
            mine = [c for c in self.comments.values() if c["pr"] == int(m.group(3))]
            return self._send(
                h, 200, [self._public(c) for c in mine[(page - 1) * per_page : page * per_page]]
            )
        if (m := _LIST.match(path)) and method == "POST":
            cid = self.add(int(m.group(3)), payload["body"], user="github-actions[bot]")
            return self._send(h, 201, self._public(self.comments[cid]))
        if (m := _ONE.match(path)) and method == "PATCH":
            comment = self.comments.get(int(m.group(3)))
            if comment is None:
                return self._send(h, 404, {"message": "Not Found"})
            comment["body"] = payload["body"]
            return self._send(h, 200, self._public(comment))
        return self._send(h, 404, {"message": "Not Found"})

    def _public(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"id": c["id"], "body": c["body"], "user": c["user"], "html_url": f"{self.url}/c/{c['id']}"}

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
