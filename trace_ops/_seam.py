"""The seam interceptors call: the stack of active sessions, the owning layer, `CallHandle`.

Interceptors know an SDK and nothing else. For every call they ask `begin_llm_call`, which
consults the active sessions (innermost first) and answers with a `CallHandle`: either a
recorded event to replay, or permission to go live plus the sessions that record the result.

One LLM call is one event, whichever layers it passes through: while a call is live, the
layer that owns it is kept in a context variable, and inner layers (LiteLLM over OpenAI,
LangChain over Anthropic) pass straight through.

The seam knows a session only as `SeamSession`, the few methods below: `Session` pushes
itself here on start, and this module never imports it (no circle through the interceptors).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from trace_ops._not_recorded import mark_not_recorded
from trace_ops._redaction import note_scrubbed
from trace_ops.matching import fingerprint
from trace_ops.scrub import Scrubber
from trace_ops.trace import Deferred, Event, LLMCall, ToolCall, Trace, utc_now_iso


class SeamSession(Protocol):
    """What a session offers the seam (and `@tool`); `Session` is the one implementation."""

    scrubber: Scrubber

    @property
    def intercepts_http(self) -> bool:
        """Whether the HTTP-level fallback records or answers calls for this session."""
        ...

    @property
    def can_replay(self) -> bool:
        """Whether this session may answer calls from a cassette (the request is described now)."""
        ...

    def answer(self, event: LLMCall) -> LLMCall | None:
        """The recorded call answering `event`, None to go live; raises a mismatch error."""
        ...

    def add(self, event: Event, *, recorded: bool) -> None:
        """Append an event to the run; `recorded` counts it as recorded, else as replayed."""
        ...

    def track_stream(self, handle: CallHandle) -> None:
        """A live stream began: finish it (incomplete) if the session stops first."""
        ...

    def untrack_stream(self, handle: CallHandle) -> None:
        """The stream ended (or was lost): the session no longer needs to finish it."""
        ...

    def note_unrecorded(self, reason: str) -> None:
        """Something could not be recorded, `reason` says what; the live run went on."""
        ...

    def refuse_undescribed(self, provider: str, endpoint: str, exc: Exception) -> Exception | None:
        """A request trace_ops could not describe: the error to raise if this session must
        replay it strictly (kept among its failures), None if it may go live."""
        ...

    def record_tool_call(
        self,
        name: str,
        input: Any,
        output: Any,
        *,
        error: BaseException | None,
        duration_ms: float,
        call_id: str | None = None,
    ) -> ToolCall:
        """Add a call of a `@tool` function to the run (`Session`'s takes more: the seam needs this)."""
        ...

    def replayed_tool_call(self, name: str, input: Any) -> ToolCall | None:
        """The recorded call of a tool when tools are replayed, else None."""
        ...

    def replaying_from(self) -> Trace | None:
        """The cassette this session answers calls from, None when it only records."""
        ...

    @property
    def records_misses(self) -> bool:
        """Whether a call the cassette cannot answer goes live and is recorded."""
        ...

    def refuse(self, what: str) -> Exception:
        """A mismatch error for `what` (a call nothing recorded answers) naming the cassette, kept
        among the session's failures so the test fails even if the caller swallows it."""
        ...


_stack: list[SeamSession] = []
_stack_lock = threading.RLock()  # reentrant: a SIGTERM handler may stop a session mid-push
_owner: contextvars.ContextVar[object | None] = contextvars.ContextVar("trace_ops_owner", default=None)


def push(session: SeamSession) -> None:
    """A session started: it answers and records calls from now on (innermost last)."""
    with _stack_lock:
        _stack.append(session)


def pop(session: SeamSession) -> None:
    """A session stopped (sessions may stop in any order)."""
    with _stack_lock:
        if session in _stack:
            _stack.remove(session)


def recording_possible() -> bool:
    """Cheap check interceptors make first: is any session active, and no outer layer owning the call?"""
    return bool(_stack) and _owner.get() is None


def http_wanted() -> bool:
    """Whether an active session wants HTTP-level calls (checked after `recording_possible`)."""
    return any(session.intercepts_http for session in _stack)


def end_live(token: contextvars.Token[object | None]) -> None:
    """Close what `CallHandle.go_live` opened."""
    _owner.reset(token)


@contextlib.contextmanager
def owning(handle: CallHandle) -> Iterator[None]:
    """`handle` owns the calls made in this block again (the next step of a live stream that a
    framework pulls chunk by chunk), without restarting its clock as `live()` would."""
    token = _owner.set(handle)
    try:
        yield
    finally:
        _owner.reset(token)


#: Framework capture plugs in where an event happens (the graph node running now): sessions
#: stamp it as the `parent` of the events they add. None: no framework capture active.
parent_of: Callable[[], str | None] | None = None


def current_session() -> SeamSession | None:
    """The innermost active session, if any."""
    return _stack[-1] if _stack else None


class CallHandle:
    """One intercepted LLM call: replay it, or run it live and report the outcome here."""

    __slots__ = (
        "_chunks",
        "_done",
        "_first_chunk",
        "_published",
        "_recorders",
        "_start",
        "event",
        "replayed",
    )

    def __init__(self, event: LLMCall, recorders: list[SeamSession], replayed: LLMCall | None) -> None:
        self.event = event
        self.replayed = replayed
        self._recorders = recorders
        self._start = 0.0
        self._first_chunk: float | None = None
        self._chunks: list[bytes] = []
        self._done = False
        self._published = False

    @contextlib.contextmanager
    def live(self) -> Iterator[None]:
        """Run the real call inside this block: inner SDK layers pass through while it runs."""
        token = self.go_live()
        try:
            yield
        finally:
            _owner.reset(token)

    def go_live(self) -> contextvars.Token[object | None]:
        """`live()` without the context manager, for hot paths: pass the token to `end_live`."""
        self._start = time.perf_counter()
        self.event.started_at = utc_now_iso()
        return _owner.set(self)

    def request_sent(self, snapshot: Deferred) -> None:
        """The SDK encoded the request (`snapshot` parses those bytes when read): it replaces a
        request description that was deferred (recording-only sessions), so no copy is made."""
        if type(self.event.__dict__.get("request")) is Deferred:
            self.event.request = snapshot

    def _elapsed_ms(self) -> float:
        return (time.perf_counter() - self._start) * 1000.0

    def describe_now(self) -> None:
        """Take a deferred request description now, while the caller's data is what was sent."""
        if type(self.event.__dict__.get("request")) is Deferred:
            try:
                _ = self.event.request
            except Exception as exc:
                self.lost("describing the request", exc)

    def lost(self, stage: str, exc: BaseException) -> None:
        """Our recording failed (a bug of ours, an I/O error): the live call goes on, unrecorded.

        The event stays in the trace (and the cassette) marked `not_recorded`, so a replay that
        reaches it fails with the reason instead of answering it; logged once per call.
        """
        if self.replayed is not None or self.event.not_recorded is not None:
            return
        self._done = True
        reason = mark_not_recorded(self.event, stage, exc)
        if not self._published:
            self._publish()
        for session in self._recorders:
            session.untrack_stream(self)
            session.note_unrecorded(reason)

    def _publish(self) -> None:
        self._published = True
        for session in self._recorders:
            session.add(self.event, recorded=True)

    def responded(self, status: int, headers: dict[str, str], body: Any) -> None:
        """A complete, non-streamed answer (or an HTTP error answer) arrived."""
        if self._done:
            return
        self._done = True
        self.event.status = status
        self.event.headers = headers
        self.event.response = body
        self.event.duration_ms = self._elapsed_ms()
        self._publish()

    def stream_started(self, status: int, headers: dict[str, str]) -> None:
        """A streamed answer began; chunks follow through `stream_chunk`."""
        if self._done:
            return
        self.event.status = status
        self.event.headers = headers
        self.event.stream = ""
        self._publish()
        for session in self._recorders:
            session.track_stream(self)

    def stream_chunk(self, data: bytes) -> None:
        if self._done:
            return
        if self._first_chunk is None and data:
            self._first_chunk = time.perf_counter()
            self.event.ttft_ms = (self._first_chunk - self._start) * 1000.0
        self._chunks.append(data)

    def received_tail(self, chunks: int = 4) -> str:
        """The last few chunks received, to tell whether a closed stream had really ended."""
        return b"".join(self._chunks[-chunks:]).decode("utf-8", errors="replace")

    def stream_finished(self, *, complete: bool) -> None:
        """The stream ended (complete) or was closed/abandoned early (incomplete)."""
        if self._done:
            return
        self._done = True
        self.event.stream = b"".join(self._chunks).decode("utf-8", errors="replace")
        self.event.incomplete = not complete
        self.event.duration_ms = self._elapsed_ms()
        self.event.invalidate_view()
        for session in self._recorders:
            session.untrack_stream(self)

    def failed(self, exc: BaseException) -> None:
        """The call failed without an HTTP answer (connection error, timeout...)."""
        if self._done:
            return
        self.describe_now()  # a deferred description must be taken while the caller's data is unchanged
        if self._done:
            return
        self._done = True
        self.event.error = {"type": type(exc).__name__, "message": str(exc)}
        self.event.duration_ms = self._elapsed_ms()
        self._publish()


def _undescribed(
    provider: str,
    endpoint: str,
    request: Any,
    sessions: tuple[SeamSession, ...],
    exc: Exception,
    event_type: type[LLMCall],
) -> CallHandle:
    """A request we could not describe: a strict replay cannot match it (an error), recording goes live."""
    for session in reversed(sessions):
        error = session.refuse_undescribed(provider, endpoint, exc)
        if error is not None:
            raise error from exc
    event = event_type(provider=provider, endpoint=endpoint, request=request)
    handle = CallHandle(event, list(reversed(sessions)), replayed=None)
    handle.lost("describing the request", exc)
    return handle


def begin_llm_call(
    provider: str,
    endpoint: str,
    request: dict[str, Any] | Deferred,
    *,
    request_text: str | None = None,
    event_type: type[LLMCall] = LLMCall,
) -> CallHandle | None:
    """Called by an interceptor for each SDK call. None means: no session, or an outer layer owns it.

    `request` may be `Deferred` (made on demand): sessions that only record never need it during
    the call, and the interceptor then hands over the SDK's encoded bytes (`request_sent`).
    `request_text`, the request's JSON text when the interceptor has it, spares a re-encoding.
    `event_type`: `HTTPCall` for a plain HTTP exchange (the HTTP-level fallback).
    """
    if not _stack or _owner.get() is not None:
        return None
    sessions = tuple(_stack)
    recorders: list[SeamSession] = []
    if any(s.can_replay for s in sessions):
        try:
            described: dict[str, Any] = request.make() if isinstance(request, Deferred) else request
            # matching needs the fingerprint now, of the request as the cassette will hold it (scrubbed)
            scrubber = sessions[-1].scrubber
            raw = described
            if scrubber.might_hold_secrets(described, request_text):
                described = scrubber.data(described)
            event = event_type(
                provider=provider,
                endpoint=endpoint,
                request=described,
                fingerprint=fingerprint(endpoint, described),
            )
            if described is not raw:  # what the secret was, as an HMAC only: see _redaction
                note_scrubbed(event, raw)
        except Exception as exc:
            return _undescribed(provider, endpoint, request, sessions, exc, event_type)
    else:  # recording only: scrubbing and the fingerprint can wait until the cassette is written
        event = event_type(provider=provider, endpoint=endpoint, request=request)
    for session in reversed(sessions):
        recorded = session.answer(event)
        if recorded is not None:
            for inner in recorders:  # sessions that wanted it live record the answer as new
                inner.add(recorded, recorded=True)
            session.add(recorded, recorded=False)
            return CallHandle(recorded, recorders, replayed=recorded)
        recorders.append(session)
    return CallHandle(event, recorders, replayed=None)
