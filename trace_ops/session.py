"""The session: the one seam between interceptors and record/replay.

Interceptors know an SDK and nothing else. For every call they ask `begin_llm_call`, which
consults the active sessions (innermost first) and answers with a `CallHandle`: either a
recorded event to replay, or permission to go live plus the sessions that record the result.
Recorder and Replayer are thin shells over `Session`.

One LLM call is one event, whichever layers it passes through: while a call is live, the
layer that owns it is kept in a context variable, and inner layers (LiteLLM over OpenAI,
LangChain over Anthropic) pass straight through.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from trace_ops._fail_open import mark_not_recorded, save_failing_open
from trace_ops._plain import jsonable
from trace_ops.cassette import load_cassette
from trace_ops.errors import CassetteMismatchError, CassetteNotFoundError, TraceOpsError
from trace_ops.matching import MATCH_FIELDS, MatchIndex, fingerprint, validate_match_on
from trace_ops.modes import Policy, RecordMode, policy_for
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import (
    AgentDecision,
    Deferred,
    ErrorEvent,
    Event,
    Judgment,
    LLMCall,
    ToolCall,
    Trace,
    utc_now_iso,
)

log = logging.getLogger("trace_ops")

_stack: list[Session] = []
_stack_lock = threading.Lock()
_owner: contextvars.ContextVar[object | None] = contextvars.ContextVar("trace_ops_owner", default=None)

BeforeRecord = Callable[[Event], "Event | None"]


def _tool_key(name: str, input: Any) -> tuple[str, str]:
    return name, json.dumps(input, sort_keys=True, default=str)


def _event_key(event: Event) -> str:
    """What a non-LLM event says, without its timing (to tell a repeated event from a new one)."""
    fields = {k: v for k, v in vars(event).items() if k not in ("started_at", "duration_ms")}
    return json.dumps([event.kind, fields], sort_keys=True, default=str)


def derived_trace_id(events: Sequence[Event], path: Path | None) -> str:
    """A trace id that depends only on the cassette's name and what the run asked (each LLM
    request's fingerprint, each other event's content), never on time or chance."""
    digest = hashlib.sha256()
    if path is not None:
        digest.update(f"{path.parent.name}/{path.name}".encode())
    for event in events:
        digest.update(b"\0")
        if isinstance(event, LLMCall):
            digest.update(f"{event.kind}:{event.endpoint}:{_saved_fingerprint(event)}".encode())
        else:
            digest.update(_event_key(event).encode())
    return digest.hexdigest()[:16]


def _saved_fingerprint(call: LLMCall) -> str:
    try:
        return call.fingerprint or fingerprint(call.endpoint, call.request)
    except Exception:  # a request we cannot read: saving marks the call as not recorded
        return "unreadable"


def active_sessions() -> tuple[Session, ...]:
    """Active sessions, outermost first."""
    return tuple(_stack)


def recording_possible() -> bool:
    """Cheap check interceptors make first: is any session active, and no outer layer owning the call?"""
    return bool(_stack) and _owner.get() is None


def end_live(token: contextvars.Token[object | None]) -> None:
    """Close what `CallHandle.go_live` opened."""
    _owner.reset(token)


def current_session() -> Session | None:
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

    def __init__(self, event: LLMCall, recorders: list[Session], replayed: LLMCall | None) -> None:
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
        """`live()` without the context manager, for hot paths: pass the token to `_owner.reset`."""
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
            session._pending.discard(self)
            session._not_recorded(reason)

    def _publish(self) -> None:
        self._published = True
        for session in self._recorders:
            session._add(self.event, recorded=True)

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
            session._pending.add(self)

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
            session._pending.discard(self)

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
    provider: str, endpoint: str, request: Any, sessions: tuple[Session, ...], exc: Exception
) -> CallHandle:
    """A request we could not describe: a strict replay cannot match it (an error), recording goes live."""
    for session in reversed(sessions):
        if session._can_replay and not session.policy.record_misses:
            where = str(session.path) if session.path is not None else "(in-memory cassette)"
            error = CassetteMismatchError(
                f"cannot match a {provider} {endpoint} call against cassette {where}: trace_ops could not "
                f"describe its request ({type(exc).__name__}: {exc})"
            )
            with session._lock:
                session.failures.append(error)
            raise error from exc
    event = LLMCall(provider=provider, endpoint=endpoint, request=request)
    handle = CallHandle(event, list(reversed(sessions)), replayed=None)
    handle.lost("describing the request", exc)
    return handle


def begin_llm_call(
    provider: str,
    endpoint: str,
    request: dict[str, Any] | Deferred,
    *,
    request_text: str | None = None,
) -> CallHandle | None:
    """Called by an interceptor for each SDK call. None means: no session, or an outer layer owns it.

    `request` may be `Deferred` (made on demand): sessions that only record never need it during
    the call, and the interceptor then hands over the SDK's encoded bytes (`request_sent`).
    `request_text`, the request's JSON text when the interceptor has it, spares a re-encoding.
    """
    if not _stack or _owner.get() is not None:
        return None
    sessions = tuple(_stack)
    recorders: list[Session] = []
    if any(s._can_replay for s in sessions):
        try:
            described: dict[str, Any] = request.make() if isinstance(request, Deferred) else request
            # matching needs the fingerprint now, of the request as the cassette will hold it (scrubbed)
            scrubber = sessions[-1].scrubber
            if scrubber.might_hold_secrets(described, request_text):
                described = scrubber.data(described)
            event = LLMCall(
                provider=provider,
                endpoint=endpoint,
                request=described,
                fingerprint=fingerprint(endpoint, described),
            )
        except Exception as exc:
            return _undescribed(provider, endpoint, request, sessions, exc)
    else:  # recording only: scrubbing and the fingerprint can wait until the cassette is written
        event = LLMCall(provider=provider, endpoint=endpoint, request=request)
    for session in reversed(sessions):
        recorded = session._answer(event)
        if recorded is not None:
            for inner in recorders:  # sessions that wanted it live record the answer as new
                inner._add(recorded, recorded=True)
            session._add(recorded, recorded=False)
            return CallHandle(recorded, recorders, replayed=recorded)
        recorders.append(session)
    return CallHandle(event, recorders, replayed=None)


class Session:
    """One record/replay run over a cassette. Use `Recorder` or `Replayer`."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        record_mode: str | RecordMode = RecordMode.NONE,
        match_on: Iterable[str] | None = None,
        sequential: bool = False,
        allow_playback_repeats: bool = False,
        scrub_patterns: Iterable[str] = (),
        before_record: BeforeRecord | None = None,
        rerecord_hint: str | None = None,
        record_hint: str | None = None,
        missing_ok: bool = False,
        replay_tools: bool = False,
        tags: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.mode = RecordMode.parse(record_mode)
        self.match_on = validate_match_on(match_on)
        self.sequential = sequential
        self.allow_playback_repeats = allow_playback_repeats
        self.scrubber = Scrubber(scrub_patterns) if scrub_patterns else DEFAULT_SCRUBBER
        self.before_record = before_record
        self.rerecord_hint = rerecord_hint
        self.record_hint = record_hint
        self.missing_ok = missing_ok
        self.replay_tools = replay_tools
        self._tools: dict[tuple[str, str], deque[ToolCall]] = {}
        self.missing = False
        self.failures: list[TraceOpsError] = []
        self.trace = Trace(tags=list(tags), metadata=dict(metadata or {}))
        self.cassette: Trace | None = None
        self.policy: Policy = policy_for(self.mode, False)
        self.recorded_count = 0
        self.replayed_count = 0
        #: calls (and tool calls) trace_ops could not record, why; the live run went on without them
        self.unrecorded: list[str] = []
        self._superseded: set[int] = set()  # not-recorded placeholders this run recorded again
        self._index: MatchIndex | None = None
        self._lock = threading.Lock()
        self._pending: set[CallHandle] = set()
        self._active = False
        self._call_numbers = itertools.count(1)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Session:
        if self._active:
            raise TraceOpsError("this session is already active; sessions are not reentrant")
        exists = self.path is not None and self.path.exists()
        self.policy = policy_for(self.mode, exists)
        if self.policy.delete_first and self.path is not None and exists:
            self.path.unlink()
        if self.policy.load and exists and self.path is not None:
            self.cassette = load_cassette(self.path)
            self.trace.id = self.cassette.id
            self.trace.tags = self.trace.tags or list(self.cassette.tags)
            self._index = MatchIndex(
                self.cassette.llm_calls,
                self.match_on,
                sequential=self.sequential,
                allow_repeats=self.allow_playback_repeats,
            )
            for recorded_tool in self.cassette.tool_calls:
                self._tools.setdefault(_tool_key(recorded_tool.name, recorded_tool.input), deque()).append(
                    recorded_tool
                )
        elif self.policy.require_cassette:
            self.missing = True
            if not self.missing_ok:
                raise self._not_found()
        from trace_ops import interceptors

        interceptors.acquire()
        self.trace.sdk_versions = interceptors.sdk_versions()
        from trace_ops.cost import price_data_version

        self.trace.price_data = price_data_version()
        with _stack_lock:
            _stack.append(self)
        self._active = True
        return self

    def stop(self, exc: BaseException | None = None) -> None:
        if not self._active:
            return
        self._active = False
        with _stack_lock:
            if self in _stack:
                _stack.remove(self)
        from trace_ops import interceptors

        interceptors.release()
        for handle in list(self._pending):
            try:
                handle.stream_finished(complete=False)
            except Exception as error:
                handle.lost("finishing an abandoned stream", error)
        if exc is not None and not isinstance(exc, TraceOpsError):
            self.record_error(exc)
        if self._should_save():
            assert self.path is not None
            save_failing_open(self._trace_to_save(), self.path, self.scrubber, self._not_recorded, quiet=exc)

    def _should_save(self) -> bool:
        if self.path is None or not self.policy.save:
            return False
        return (
            self.recorded_count > 0
            or not self.path.exists()
            or self.mode in (RecordMode.ALL, RecordMode.REWRITE)
        )

    def _trace_to_save(self) -> Trace:
        events = self._events_to_save()
        if self.before_record is not None:
            kept: list[Event] = []
            for event in events:
                result = self.before_record(event)
                if result is not None:
                    kept.append(result)
            events = kept
        saved = Trace(
            events=events,
            id=self.trace.id,
            created_at=self.trace.created_at,
            sdk_versions=self.trace.sdk_versions,
            price_data=self.trace.price_data,
            tags=self.trace.tags,
            metadata=self.trace.metadata,
        )
        # the same conversation re-recorded gets the same id: a clean diff in review
        saved.id = self.trace.id = derived_trace_id(saved.events, self.path)
        return saved

    def _events_to_save(self) -> list[Event]:
        """This run's events; under `new_episodes`, the cassette's events followed by the new ones.

        As in VCR.py, `new_episodes` keeps every recorded interaction, also those this run did
        not make, and appends what it recorded. An event equal to one already in the cassette
        (a tool that ran again with the same input and output) is not appended twice.
        """
        if self.mode is not RecordMode.NEW_EPISODES or self.cassette is None:
            return list(self.trace.events)
        old = [event for event in self.cassette.events if id(event) not in self._superseded]
        kept = {id(event) for event in old}
        seen = {_event_key(event) for event in old if not isinstance(event, LLMCall)}
        merged = list(old)
        for event in self.trace.events:
            if id(event) in kept:
                continue  # replayed from the cassette: already there
            if not isinstance(event, LLMCall):
                key = _event_key(event)
                if key in seen:
                    continue
                seen.add(key)
            merged.append(event)
        return merged

    def __enter__(self) -> Session:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(exc)

    async def __aenter__(self) -> Session:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(exc)

    # ------------------------------------------------------------ matching

    @property
    def _can_replay(self) -> bool:
        return self.policy.replay and self._index is not None

    def _answer(self, event: LLMCall) -> LLMCall | None:
        """The recorded call that answers `event`, None to go live, or a mismatch error."""
        number = next(self._call_numbers)  # atomic in CPython: no lock on the hot path
        if self.policy.replay and self._index is not None:
            fp = event.fingerprint
            if self.match_on != MATCH_FIELDS:
                fp = fingerprint(event.endpoint, event.request, self.match_on)
            recorded = self._index.take(fp)
            if recorded is not None and recorded.not_recorded is None:
                return recorded
            if recorded is not None and not self.policy.record_misses:  # never answer it: say why
                error: TraceOpsError = self._was_not_recorded(recorded, number)
                with self._lock:
                    self.failures.append(error)
                raise error
            if recorded is not None:  # recorded again now: the placeholder gives way on save
                with self._lock:
                    self._superseded.add(id(recorded))
        if self.policy.record_misses:
            return None
        error = self._not_found() if self.missing else self._mismatch(event, number)
        with self._lock:
            self.failures.append(error)
        raise error

    def _not_found(self) -> CassetteNotFoundError:
        where = str(self.path) if self.path is not None else "(no path given)"
        return CassetteNotFoundError(f"{where}: cassette not found; {self.record_hint or self._hint()}")

    def _mismatch(self, event: LLMCall, number: int) -> CassetteMismatchError:
        where = str(self.path) if self.path is not None else "(in-memory cassette)"
        lines = [
            f"no recorded call matches LLM call #{number} ({event.provider} {event.endpoint}, "
            f"model {event.model!r}) in cassette {where}"
        ]
        closest = self._index.closest(event.endpoint, event.request) if self._index is not None else None
        if closest is None:
            lines.append("the cassette has no recorded LLM calls")
        else:
            position, differences = closest
            if not differences:
                lines.append(
                    f"an identical request was recorded (call #{position + 1}) and already replayed: "
                    "this run "
                    "makes more identical calls than the recording (allow_playback_repeats=True permits that)"
                )
            else:
                lines.append(f"closest recorded call: #{position + 1} (live != recorded):")
                lines += [f"  {d}" for d in differences[:12]]
                if len(differences) > 12:
                    lines.append(f"  … and {len(differences) - 12} more differences")
        lines.append(self._hint())
        return CassetteMismatchError("\n".join(lines))

    def _was_not_recorded(self, recorded: LLMCall, number: int) -> CassetteMismatchError:
        where = str(self.path) if self.path is not None else "(in-memory cassette)"
        return CassetteMismatchError(
            f"LLM call #{number} ({recorded.provider} {recorded.endpoint}, model {recorded.model!r}) was not "
            f"recorded in cassette {where} ({recorded.not_recorded}); {self._hint()}"
        )

    def _hint(self) -> str:
        if self.rerecord_hint:
            return self.rerecord_hint
        target = repr(str(self.path)) if self.path is not None else "..."
        return f"to re-record: run once with Recorder(save_to={target}) or record_mode='rewrite'"

    # ------------------------------------------------------------ events

    def _add(self, event: Event, *, recorded: bool) -> None:
        with self._lock:
            self.trace.events.append(event)
            if isinstance(event, LLMCall):
                if recorded:
                    self.recorded_count += 1
                else:
                    self.replayed_count += 1

    def _not_recorded(self, reason: str) -> None:
        with self._lock:
            self.unrecorded.append(reason)

    @property
    def unrecorded_count(self) -> int:
        """How many calls this session could not record (each logged; the live run went on)."""
        return len(self.unrecorded)

    def record_tool_call(
        self,
        name: str,
        input: Any = None,
        output: Any = None,
        *,
        error: str | BaseException | None = None,
        duration_ms: float | None = None,
        call_id: str | None = None,
    ) -> ToolCall:
        """Add a tool invocation to the trace (for tools trace_ops does not intercept)."""
        event = ToolCall(
            name=name,
            input=jsonable(input),
            output=jsonable(output),
            error=None
            if error is None
            else (error if isinstance(error, str) else f"{type(error).__name__}: {error}"),
            call_id=call_id,
            duration_ms=duration_ms,
            started_at=utc_now_iso(),
        )
        self._add(event, recorded=True)
        return event

    def replayed_tool_call(self, name: str, input: Any) -> ToolCall | None:
        """With `replay_tools`, the recorded call of tool `name` with this input (consumed in order).

        None when tools run for real; a mismatch error when replaying tools and none was recorded.
        """
        if not self.replay_tools or self.cassette is None:
            return None
        with self._lock:
            queue = self._tools.get(_tool_key(name, jsonable(input)))
            recorded = queue.popleft() if queue else None
        if recorded is None:
            where = str(self.path) if self.path is not None else "(in-memory cassette)"
            error = CassetteMismatchError(
                f"no recorded call of tool {name!r} with input {jsonable(input)!r} in cassette {where}; "
                f"{self._hint()}"
            )
            with self._lock:
                self.failures.append(error)
            raise error
        self._add(recorded, recorded=False)
        return recorded

    def record_judgment(
        self,
        name: str,
        *,
        verdict: str | None = None,
        score: float | None = None,
        reasoning: str | None = None,
        intent: str | None = None,
    ) -> Judgment:
        """Add an evaluation result (judge verdict, score, reasoning) to the trace."""
        event = Judgment(
            name=name,
            verdict=verdict,
            score=score,
            reasoning=reasoning,
            intent=intent,
            started_at=utc_now_iso(),
        )
        self._add(event, recorded=True)
        return event

    def record_decision(self, decision: str, **detail: Any) -> AgentDecision:
        """Add an agent decision (delegation, routing, planning) to the trace."""
        event = AgentDecision(decision=decision, detail=jsonable(detail), started_at=utc_now_iso())
        self._add(event, recorded=True)
        return event

    def record_error(self, exc: BaseException) -> ErrorEvent:
        event = ErrorEvent(error_type=type(exc).__name__, message=str(exc), started_at=utc_now_iso())
        self._add(event, recorded=True)
        return event

    @property
    def unused_calls(self) -> list[LLMCall]:
        """Recorded calls this run never asked for."""
        if self._index is None:
            return []
        return [self._index.calls[i] for i in self._index.unused]
