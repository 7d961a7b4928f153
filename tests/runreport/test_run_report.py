"""Run reports: document shape, atomic writes, and uploads against a real local HTTP collector.

The collector is a real ThreadingHTTPServer on 127.0.0.1 answering a scripted list of statuses;
only `sleep` is faked, so back-off is checked without waiting for it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from trace_ops.runreport import (
    CASE_OUTCOMES,
    MAX_FAILURE_CHARS,
    REPORT_SCHEMA_VERSION,
    TOKEN_ENV,
    CaseResult,
    UploadResult,
    build_run_report,
    upload_report,
    write_report,
)

# ---------------------------------------------------------------- document


def _cases() -> list[CaseResult]:
    return [
        CaseResult(
            "tests/test_agent.py::test_replay",
            "passed",
            0.0123456789,
            cassette="cassettes/test_replay.yaml",
            record_mode="none",
            outcome="replayed",
            events=[{"type": "llm_call", "model": "gpt-4o-mini", "tokens": 30}],
            tokens=30,
            cost_usd=0.1,
        ),
        CaseResult(
            "tests/test_agent.py::test_mismatch",
            "failed",
            0.5,
            cassette="cassettes/test_mismatch.yaml",
            record_mode="none",
            outcome="mismatched",
            events=[{"type": "llm_call", "model": "gpt-4o-mini"}],
            failure="CassetteMismatchError: no recorded call matches LLM call #1",
            tokens=12,
            cost_usd=0.2,
        ),
        CaseResult(
            "tests/test_agent.py::test_fixture_broke", "errored", 0.01, failure="fixture 'x' not found"
        ),
        CaseResult("tests/test_agent.py::test_later", "skipped", 0.0),
        CaseResult("tests/test_util.py::test_pure", "passed", 0.001),
    ]


def _report(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "started_at": "2025-01-02T03:04:05.000Z",
        "finished_at": "2025-01-02T03:04:07.250Z",
        "exit_status": 1,
        "ci": {"provider": "generic", "run_id": None},
        "trace_ops_version": "0.1.0",
    }
    kwargs.update(overrides)
    cases = kwargs.pop("cases", _cases())
    return build_run_report(cases, **kwargs)


def test_report_shape_and_totals() -> None:
    doc = _report(extra={"agent_id": "support-bot"})
    assert list(doc) == ["schema_version", "tool", "trace_ops_version", "run", "cases"]
    assert doc["schema_version"] == REPORT_SCHEMA_VERSION == 1
    assert doc["tool"] == "trace_ops"
    assert doc["trace_ops_version"] == "0.1.0"
    run = doc["run"]
    assert list(run) == ["started_at", "finished_at", "duration_s", "exit_status", "ci", "totals", "extra"]
    assert run["duration_s"] == 2.25
    assert run["exit_status"] == 1
    assert run["ci"] == {"provider": "generic", "run_id": None}
    assert run["extra"] == {"agent_id": "support-bot"}
    assert run["totals"] == {
        "cases": 5,
        "passed": 2,
        "failed": 1,
        "errored": 1,
        "skipped": 1,
        "tokens": 42,
        "cost_usd": 0.3,  # summed exactly, not 0.30000000000000004
        "cost_complete": True,
    }
    first = doc["cases"][0]
    assert list(first) == [
        "nodeid",
        "status",
        "duration_s",
        "cassette",
        "record_mode",
        "outcome",
        "tokens",
        "cost_usd",
        "failure",
        "events",
    ]
    assert first["duration_s"] == 0.012346
    assert first["events"] == [{"type": "llm_call", "model": "gpt-4o-mini", "tokens": 30}]
    assert doc["cases"][3]["cassette"] is None
    assert json.loads(json.dumps(doc)) == doc


def test_report_is_strict_json_and_deterministic() -> None:
    case = CaseResult(
        "t::x",
        "passed",
        float("nan"),
        events=[
            cast(
                dict[str, Any], {"args": ("a", 1), "score": float("inf"), "path": Path("a/b.yaml"), 3: {"k"}}
            )
        ],
    )
    doc = _report(cases=[case], exit_status=pytest.ExitCode.TESTS_FAILED, extra=None, ci=None)
    text = json.dumps(doc, allow_nan=False)  # NaN/inf would be invalid JSON for most collectors
    assert type(doc["run"]["exit_status"]) is int
    assert doc["run"]["extra"] == {}
    assert doc["run"]["ci"] is None
    assert doc["cases"][0]["duration_s"] is None
    assert doc["cases"][0]["events"] == [{"args": ["a", 1], "score": None, "path": "a/b.yaml", "3": ["k"]}]
    assert text == json.dumps(_report(cases=[case], exit_status=1, extra=None, ci=None), allow_nan=False)


def test_cost_complete_only_counts_cases_that_used_a_model() -> None:
    unpriced = CaseResult("t::llm", "passed", 0.1, events=[{"type": "llm_call"}], tokens=10)
    pure = CaseResult("t::pure", "passed", 0.1)
    priced = CaseResult("t::priced", "passed", 0.1, events=[{"type": "llm_call"}], tokens=5, cost_usd=0.25)
    assert _report(cases=[pure])["run"]["totals"]["cost_complete"] is True
    totals = _report(cases=[pure, priced, unpriced])["run"]["totals"]
    assert totals["cost_complete"] is False
    assert totals["cost_usd"] == 0.25  # the known part: a lower bound
    assert totals["tokens"] == 15
    empty = _report(cases=[])["run"]["totals"]
    assert empty == {
        "cases": 0,
        "passed": 0,
        "failed": 0,
        "errored": 0,
        "skipped": 0,
        "tokens": 0,
        "cost_usd": 0.0,
        "cost_complete": True,
    }


def test_failure_truncated_keeping_the_error_at_the_bottom() -> None:
    longrepr = "def test_x():\n" + "x" * 50_000 + "\nE   AssertionError: the real reason"
    case = CaseResult("t::x", "failed", 0.1, failure=longrepr)
    assert case.failure is not None
    assert len(case.failure) <= MAX_FAILURE_CHARS
    assert case.failure.startswith("def test_x():")
    assert case.failure.endswith("E   AssertionError: the real reason")
    assert "characters truncated" in case.failure
    case.failure = longrepr  # set after construction: the builder truncates too
    failure = _report(cases=[case])["cases"][0]["failure"]
    assert len(failure) <= MAX_FAILURE_CHARS
    assert failure.endswith("the real reason")
    short = CaseResult("t::y", "failed", 0.1, failure="x" * MAX_FAILURE_CHARS)
    assert short.failure == "x" * MAX_FAILURE_CHARS


@pytest.mark.parametrize("status", ["xfailed", "ok", "PASSED"])
def test_case_result_rejects_an_unknown_status(status: str) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        CaseResult("t::x", status, 0.1)


@pytest.mark.parametrize("outcome", [*CASE_OUTCOMES, "something-new"])
def test_case_outcome_is_passed_through(outcome: str) -> None:
    # Only displayed, never counted: an outcome the report does not know yet must not break the run.
    doc = _report(cases=[CaseResult("t::x", "passed", 0.1, outcome=outcome)])
    assert doc["cases"][0]["outcome"] == outcome


@pytest.mark.parametrize(
    ("started", "finished", "expected"),
    [
        ("2025-01-02T03:04:05+00:00", "2025-01-02T03:05:05.5+00:00", 60.5),
        ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05+01:00", -3600.0),
        ("yesterday", "2025-01-02T03:04:05Z", None),
        ("2025-01-02T03:04:05", "2025-01-02T03:04:05Z", None),  # naive vs aware
    ],
)
def test_run_duration(started: str, finished: str, expected: float | None) -> None:
    assert _report(started_at=started, finished_at=finished)["run"]["duration_s"] == expected


# ---------------------------------------------------------------- write_report


def test_write_report_creates_dirs_and_writes_utf8_indented(tmp_path: Path) -> None:
    doc = _report(extra={"note": "café ✓"})
    target = tmp_path / "deep" / "er" / "report.json"
    assert write_report(doc, target) == target
    raw = target.read_bytes()
    assert "café ✓".encode() in raw  # real UTF-8, not \u escapes
    assert raw.decode("utf-8") == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(raw) == doc


def test_write_report_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"old": true, "padding": "' + "x" * 10_000 + '"}', encoding="utf-8")
    doc = _report()
    write_report(doc, str(target))
    assert json.loads(target.read_text(encoding="utf-8")) == doc
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_write_report_failure_cleans_up_its_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.mkdir()  # os.replace of a file onto a directory fails
    with pytest.raises(OSError):
        write_report(_report(), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert list(target.iterdir()) == []


# ---------------------------------------------------------------- the collector


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    body: bytes = b'{"accepted": true}'


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Collector:
    """A scripted report collector: answers `replies` in turn (200 once they run out)."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.received: list[Received] = []
        self.release = threading.Event()  # wakes delayed handlers at teardown
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with collector._lock:
                    collector.received.append(
                        Received(
                            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
                    reply = collector.replies.pop(0) if collector.replies else Reply()
                if reply.delay_s:
                    collector.release.wait(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (timeout test)

            do_POST = _handle
            do_GET = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/runs"

    def start(self) -> Collector:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def collector() -> Iterator[Callable[..., Collector]]:
    started: list[Collector] = []

    def make(*replies: Reply) -> Collector:
        server = Collector(list(replies)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token and no proxy from the developer's shell: requests must go straight to 127.0.0.1."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


class Sleeps(list[float]):
    """The one fake: records back-off delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _upload(url: str, tmp_path: Path, **kwargs: Any) -> tuple[UploadResult, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("timeout_s", 2.0)
    result = upload_report(_report(), url, fallback_dir=tmp_path / "fallback", sleep=sleeps, **kwargs)
    return result, sleeps


def _fallback_files(tmp_path: Path) -> list[Path]:
    directory = tmp_path / "fallback"
    return sorted(directory.iterdir()) if directory.exists() else []


# ---------------------------------------------------------------- upload_report


def test_upload_success_first_try(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(200))
    result, sleeps = _upload(server.url, tmp_path)
    assert result == UploadResult(ok=True, attempts=1, status=200, error=None, fallback_path=None)
    assert sleeps == []
    [request] = server.received
    assert (request.method, request.path) == ("POST", "/v1/runs")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("trace_ops/")
    assert "authorization" not in request.headers
    assert request.json() == _report()
    assert _fallback_files(tmp_path) == []


def test_upload_accepts_any_2xx(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(202, body=b""))
    result, _ = _upload(server.url, tmp_path)
    assert (result.ok, result.status, result.attempts) == (True, 202, 1)


def test_upload_retries_a_500(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(500), Reply(200))
    result, sleeps = _upload(server.url, tmp_path, backoff_s=0.5)
    assert (result.ok, result.attempts, result.status, result.fallback_path) == (True, 2, 200, None)
    assert sleeps == [0.5]
    assert [r.json() for r in server.received] == [_report(), _report()]


def test_upload_honours_retry_after_on_429(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(429, headers={"Retry-After": "0"}), Reply(200))
    result, sleeps = _upload(server.url, tmp_path, backoff_s=5.0)
    assert (result.ok, result.attempts, result.status) == (True, 2, 200)
    assert sleeps == [0.0]  # the server's word, not the 5 s back-off
    assert len(server.received) == 2


def test_upload_caps_retry_after(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(
        Reply(503, headers={"Retry-After": "3600"}),
        Reply(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # an HTTP date in the past
        Reply(200),
    )
    result, sleeps = _upload(server.url, tmp_path)
    assert (result.ok, result.attempts) == (True, 3)
    assert sleeps == [30.0, 0.0]


def test_upload_does_not_retry_a_422(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(422, body=b'{"detail": "run.totals: field required"}'))
    result, sleeps = _upload(server.url, tmp_path)
    assert (result.ok, result.attempts, result.status) == (False, 1, 422)
    assert sleeps == []
    assert len(server.received) == 1
    assert result.error is not None
    assert "422" in result.error
    assert "run.totals: field required" in result.error  # the collector's reason reaches the user
    assert result.fallback_path is not None
    assert _fallback_files(tmp_path) == [result.fallback_path]
    assert result.fallback_path.name.startswith("trace-ops-report-")
    assert result.fallback_path.suffix == ".json"
    assert json.loads(result.fallback_path.read_text(encoding="utf-8")) == _report()


def test_upload_does_not_follow_redirects(collector: Callable[..., Collector], tmp_path: Path) -> None:
    # urllib would re-send the POST as a bodiless GET and call that a success.
    target = collector(Reply(200))
    server = collector(Reply(302, headers={"Location": target.url}))
    result, _ = _upload(server.url, tmp_path)
    assert (result.ok, result.attempts, result.status) == (False, 1, 302)
    assert target.received == []
    assert result.error is not None
    assert "not followed" in result.error
    assert result.fallback_path is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_upload_connection_refused_retries_then_falls_back(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1/runs"
    result, sleeps = _upload(url, tmp_path, attempts=3, backoff_s=0.5)
    assert (result.ok, result.attempts, result.status) == (False, 3, None)
    assert sleeps == [0.5, 1.0]
    assert result.error is not None
    assert "connection failed" in result.error
    assert result.fallback_path is not None
    assert json.loads(result.fallback_path.read_text(encoding="utf-8")) == _report()


def test_upload_times_out_retries_then_falls_back(
    collector: Callable[..., Collector], tmp_path: Path
) -> None:
    server = collector(Reply(200, delay_s=5.0), Reply(200, delay_s=5.0))
    result, sleeps = _upload(server.url, tmp_path, timeout_s=0.2, attempts=2, backoff_s=0.1)
    assert (result.ok, result.attempts, result.status) == (False, 2, None)
    assert sleeps == [0.1]
    assert len(server.received) == 2
    assert result.error is not None
    assert "timed out" in result.error
    assert result.fallback_path is not None
    assert json.loads(result.fallback_path.read_text(encoding="utf-8")) == _report()


def test_upload_backoff_is_exponential(collector: Callable[..., Collector], tmp_path: Path) -> None:
    server = collector(Reply(503), Reply(502), Reply(500), Reply(503))
    result, sleeps = _upload(server.url, tmp_path, attempts=4, backoff_s=0.5)
    assert (result.ok, result.attempts, result.status) == (False, 4, 503)
    assert sleeps == [0.5, 1.0, 2.0]  # none after the last attempt
    assert len(server.received) == 4
    assert len(_fallback_files(tmp_path)) == 1


def test_upload_sends_bearer_token_and_never_reports_it(
    collector: Callable[..., Collector], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "tr_0123456789abcdef"
    monkeypatch.setenv(TOKEN_ENV, token)
    server = collector(Reply(200), Reply(401, body=f'{{"error": "bad token {token}"}}'.encode()))
    ok, _ = _upload(server.url, tmp_path)
    assert ok.ok
    assert server.received[0].headers["authorization"] == f"Bearer {token}"
    denied, _ = _upload(server.url, tmp_path)  # a collector echoing the token back
    assert (denied.ok, denied.attempts, denied.status) == (False, 1, 401)
    assert denied.error is not None
    assert "bad token" in denied.error
    assert token not in repr(denied)
    assert denied.fallback_path is not None
    assert token not in denied.fallback_path.read_text(encoding="utf-8")


def test_upload_extra_headers_override_defaults(
    collector: Callable[..., Collector], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    server = collector(Reply(200))
    result, _ = _upload(
        server.url, tmp_path, headers={"authorization": "Basic dXNlcjpwYXNz", "X-Agent-Id": "a1"}
    )
    assert result.ok
    headers = server.received[0].headers
    assert headers["authorization"] == "Basic dXNlcjpwYXNz"
    assert headers["x-agent-id"] == "a1"


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/x", "file:///etc/passwd", "http://"])
def test_upload_never_raises_on_a_bad_url(url: str, tmp_path: Path) -> None:
    result, sleeps = _upload(url, tmp_path)
    assert result.ok is False
    assert result.error
    assert result.fallback_path is not None
    assert sleeps == []


def test_upload_never_raises_when_the_fallback_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "fallback"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    result = upload_report(_report(), "ftp://nowhere", fallback_dir=blocker / "sub", sleep=Sleeps())
    assert result.ok is False
    assert result.fallback_path is None
    assert result.error is not None
    assert "fallback file not written" in result.error


def test_fallback_files_do_not_overwrite_each_other(tmp_path: Path) -> None:
    first, _ = _upload("ftp://nowhere", tmp_path)
    second, _ = _upload("ftp://nowhere", tmp_path)
    assert first.fallback_path is not None
    assert second.fallback_path is not None
    assert first.fallback_path != second.fallback_path
    assert len(_fallback_files(tmp_path)) == 2
