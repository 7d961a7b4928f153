"""The session: one record/replay run over a cassette, and `SessionOptions`, how it runs.

A session pushes itself onto the interceptor seam (`_seam`) while active: the seam asks it to
answer or record each LLM call through the small `SeamSession` protocol, and never imports
this module. Recorder, Replayer and the `cassette` fixture are thin shells over `Session`,
sharing one `SessionOptions`. What a miss says is in `matching`, what is saved in `_saving`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from trace_ops import _seam, _stop_signal
from trace_ops._fail_open import save_failing_open
from trace_ops._not_recorded import log
from trace_ops._plain import jsonable
from trace_ops._saving import BeforeRecord, trace_to_save
from trace_ops._seam import CallHandle
from trace_ops.cassette import load_cassette
from trace_ops.errors import CassetteMismatchError, TraceOpsError
from trace_ops.matching import (
    MATCH_FIELDS,
    MatchIndex,
    ToolIndex,
    fingerprint,
    mismatch_error,
    not_found_error,
    not_recorded_error,
    rerecord_hint,
    tool_mismatch_error,
    undescribed_error,
    validate_match_on,
)
from trace_ops.modes import Policy, RecordMode, policy_for
from trace_ops.scrub import DEFAULT_SCRUBBER, Scrubber
from trace_ops.trace import (
    AgentDecision,
    ErrorEvent,
    Event,
    HTTPCall,
    Judgment,
    LLMCall,
    ToolCall,
    Trace,
    utc_now_iso,
)

__all__ = ["BeforeRecord", "Session", "SessionOptions"]

_S = TypeVar("_S", bound="Session")


@dataclass(frozen=True)
class SessionOptions:
    """How a session records and replays, in one value: `Session`, `Recorder`, `Replayer` and the
    `cassette` fixture take these same options (`Session(path, options=SessionOptions(...))`)."""

    record_mode: str | RecordMode = RecordMode.NONE
    match_on: Iterable[str] | None = None
    sequential: bool = False
    allow_playback_repeats: bool = False
    scrub_patterns: Iterable[str] = ()
    before_record: BeforeRecord | None = None
    #: what a mismatch says to do (default: how to re-record with a `Recorder`)
    rerecord_hint: str | None = None
    #: what a missing cassette says to do (default: `rerecord_hint`)
    record_hint: str | None = None
    #: a missing cassette is noted (`missing`) and fails at the first call, not at start
    missing_ok: bool = False
    replay_tools: bool = False
    tags: Sequence[str] = ()
    metadata: Mapping[str, Any] | None = None
    #: record calls at the httpx / httpx2 transport too (SDKs with no interceptor, plain HTTP);
    #: a cassette holding such calls is answered there without it
    intercept_http: bool = False
    #: capture LangChain chat models and tools at the framework layer (`trace_ops.frameworks`)
    intercept_langchain: bool = False
    #: also capture LangGraph graph and node runs (implies `intercept_langchain`)
    intercept_langgraph: bool = False
    #: capture CrewAI crew kickoffs, task and agent executions (its LLM calls: the SDK interceptors)
    intercept_crewai: bool = False


_DEFAULTS = SessionOptions()


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
        intercept_http: bool = False,
        options: SessionOptions | None = None,
    ) -> None:
        given = SessionOptions(
            record_mode=record_mode,
            match_on=match_on,
            sequential=sequential,
            allow_playback_repeats=allow_playback_repeats,
            scrub_patterns=scrub_patterns,
            before_record=before_record,
            rerecord_hint=rerecord_hint,
            record_hint=record_hint,
            missing_ok=missing_ok,
            replay_tools=replay_tools,
            tags=tags,
            metadata=metadata,
            intercept_http=intercept_http,
        )
        if options is None:
            options = given
        elif given != _DEFAULTS:
            raise TypeError("Session: pass options as keywords or as options=SessionOptions(...), not both")
        self.options = options
        self.path = Path(path) if path is not None else None
        self.mode = RecordMode.parse(options.record_mode)
        self.match_on = validate_match_on(options.match_on)
        self.sequential = options.sequential
        self.allow_playback_repeats = options.allow_playback_repeats
        self.scrubber = Scrubber(options.scrub_patterns) if options.scrub_patterns else DEFAULT_SCRUBBER
        self.before_record = options.before_record
        self.rerecord_hint = options.rerecord_hint
        self.record_hint = options.record_hint
        self.missing_ok = options.missing_ok
        self.replay_tools = options.replay_tools
        self._intercepts_http = options.intercept_http
        self.missing = False
        self.failures: list[TraceOpsError] = []
        self.trace = Trace(tags=list(options.tags), metadata=dict(options.metadata or {}))
        self.cassette: Trace | None = None
        self.policy: Policy = policy_for(self.mode, False)
        self.recorded_count = 0
        self.replayed_count = 0
        #: calls (and tool calls) trace_ops could not record, why; the live run went on without them
        self.unrecorded: list[str] = []
        self._superseded: set[int] = set()  # not-recorded placeholders this run recorded again
        self._index: MatchIndex | None = None
        self._tool_index: ToolIndex | None = None
        self._lock = threading.RLock()  # reentrant: a SIGTERM handler may stop the session mid-`add`
        self._pending: set[CallHandle] = set()
        self._active = False
        self._call_numbers = itertools.count(1)
        self._frameworks: tuple[str, ...] = ()

    # ------------------------------------------------------------ lifecycle

    def start(self: _S) -> _S:
        if self._active:
            raise TraceOpsError("this session is already active; sessions are not reentrant")
        exists = self.path is not None and self.path.exists()
        self.policy = policy_for(self.mode, exists)
        if self.policy.load and exists and self.path is not None:
            self.cassette = load_cassette(self.path)
            self.trace.id = self.cassette.id
            self.trace.tags = self.trace.tags or list(self.cassette.tags)
            self._intercepts_http = self._intercepts_http or _has_http_level_calls(self.cassette)
            self._index = MatchIndex(
                self.cassette.exchanges,
                self.match_on,
                sequential=self.sequential,
                allow_repeats=self.allow_playback_repeats,
            )
            self._tool_index = ToolIndex(self.cassette.tool_calls)
        elif self.policy.require_cassette:
            self.missing = True
            if not self.missing_ok:
                raise self._not_found()
        # imported on first start, not with `import trace_ops` (wrapt, the SDK hooks, pricing)
        from trace_ops import interceptors
        from trace_ops.cost import price_data_version

        frameworks_wanted = self._frameworks_wanted()
        if frameworks_wanted:  # first: a framework that is not installed fails before anything is held
            from trace_ops import frameworks

            frameworks.acquire(frameworks_wanted)
            self._frameworks = frameworks_wanted
        interceptors.acquire()
        self.trace.sdk_versions = interceptors.sdk_versions()
        if self._frameworks:
            self.trace.sdk_versions.update(frameworks.versions(self._frameworks))
        self.trace.price_data = price_data_version()
        _seam.push(self)
        self._active = True
        if self.policy.save and self.path is not None:
            _stop_signal.watch(self)
        return self

    def stop(self, exc: BaseException | None = None) -> None:
        if not self._active:
            return
        self._active = False
        _stop_signal.unwatch(self)
        _seam.pop(self)
        from trace_ops import interceptors

        interceptors.release()
        if self._frameworks:
            from trace_ops import frameworks

            frameworks.release(self._frameworks)
            self._frameworks = ()
        for handle in list(self._pending):
            try:
                handle.stream_finished(complete=False)
            except Exception as error:
                handle.lost("finishing an abandoned stream", error)
        if exc is not None and not isinstance(exc, TraceOpsError):
            self.record_error(exc)
        if self._keeps_cassette(exc):
            log.warning(
                "trace_ops: %s: the run failed (%s) before recording any LLM call; the cassette was kept",
                self.path,
                type(exc).__name__,
            )
        elif self._should_save():
            assert self.path is not None
            saved, refused = trace_to_save(
                self.trace,
                self.cassette,
                self.path,
                merge=self.mode is RecordMode.NEW_EPISODES,
                superseded=self._superseded,
                before_record=self.before_record,
                scrubber=self.scrubber,
                lost=self.note_unrecorded,
            )
            self.trace.id = saved.id
            save_failing_open(saved, self.path, self.scrubber, self.note_unrecorded, quiet=exc)
            if refused is not None and exc is None:
                raise self._failure(refused)
            if refused is not None:  # the agent's own exception is on its way: ours must not hide it
                log.error("trace_ops: %s", refused)

    def _frameworks_wanted(self) -> tuple[str, ...]:
        """The frameworks captured at their own layer: those asked for, and those the cassette
        holds events of (a replay needs no flag)."""
        from trace_ops.frameworks import importable, kinds_in

        found = kinds_in(self.cassette) if self.cassette is not None else []
        wanted = {kind for kind in found if importable(kind)}  # code that cannot use it never calls it
        if self.options.intercept_langgraph:
            wanted.add("langgraph")
        if self.options.intercept_langchain or "langgraph" in wanted:
            wanted.add("langchain")
        if self.options.intercept_crewai:
            wanted.add("crewai")
        return tuple(sorted(wanted))

    def _keeps_cassette(self, exc: BaseException | None) -> bool:
        """A run that failed before recording an LLM call never replaces a cassette with an empty one."""
        return (
            exc is not None
            and self.recorded_count == 0
            and self.path is not None
            and self.path.exists()
            and self._should_save()
        )

    def _should_save(self) -> bool:
        if self.path is None or not self.policy.save:
            return False
        return (
            self.recorded_count > 0
            or not self.path.exists()
            or self.mode in (RecordMode.ALL, RecordMode.REWRITE)
        )

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(exc)

    async def __aenter__(self: _S) -> _S:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(exc)

    # ------------------------------------------------------------ the seam (`_seam.SeamSession`)

    @property
    def intercepts_http(self) -> bool:
        """`intercept_http=True`, or the cassette holds calls recorded at the HTTP level."""
        return self._intercepts_http

    @property
    def can_replay(self) -> bool:
        """Whether this session answers calls from a loaded cassette."""
        return self.policy.replay and self._index is not None

    def answer(self, event: LLMCall) -> LLMCall | None:
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
                raise self._failure(not_recorded_error(recorded, number, self.path, self._hint()))
            if recorded is not None:  # recorded again now: the placeholder gives way on save
                with self._lock:
                    self._superseded.add(id(recorded))
        if self.policy.record_misses:
            return None
        if self.missing:
            raise self._failure(self._not_found())
        raise self._failure(mismatch_error(event, number, self.path, self._index, self._hint()))

    def replaying_from(self) -> Trace | None:
        """The loaded cassette when this session replays (interceptors of other protocols, MCP, use it)."""
        return self.cassette if self.policy.replay else None

    @property
    def records_misses(self) -> bool:
        return self.policy.record_misses

    def refuse(self, what: str) -> TraceOpsError:
        """No recording answers `what`: a mismatch error naming this cassette, kept among the failures."""
        where = str(self.path) if self.path is not None else "(in-memory cassette)"
        return self._failure(CassetteMismatchError(f"{what} in cassette {where}; {self._hint()}"))

    def refuse_undescribed(self, provider: str, endpoint: str, exc: Exception) -> Exception | None:
        """A strict replay cannot match a request trace_ops could not describe: its error."""
        if not (self.can_replay and not self.policy.record_misses):
            return None
        return self._failure(undescribed_error(provider, endpoint, self.path, exc))

    def add(self, event: Event, *, recorded: bool) -> None:
        """Append `event` to this run (an LLM call counts as recorded or as replayed)."""
        parent_of = _seam.parent_of
        if parent_of is not None and event.parent is None:
            event.parent = parent_of()
        with self._lock:
            self.trace.events.append(event)
            if isinstance(event, LLMCall):
                if recorded:
                    self.recorded_count += 1
                else:
                    self.replayed_count += 1

    def track_stream(self, handle: CallHandle) -> None:
        """A live stream began: `stop` finishes it (incomplete) if the caller never does."""
        self._pending.add(handle)

    def untrack_stream(self, handle: CallHandle) -> None:
        self._pending.discard(handle)

    def note_unrecorded(self, reason: str) -> None:
        """Something could not be recorded (logged where it happened); the live run went on."""
        with self._lock:
            self.unrecorded.append(reason)

    def _failure(self, error: TraceOpsError) -> TraceOpsError:
        """Keep `error` among this session's failures (the plugin fails the test on it), for raising."""
        with self._lock:
            self.failures.append(error)
        return error

    def _not_found(self) -> TraceOpsError:
        return not_found_error(self.path, self.record_hint or self._hint())

    def _hint(self) -> str:
        return rerecord_hint(self.path, self.rerecord_hint)

    # ------------------------------------------------------------ events

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
        self.add(event, recorded=True)
        return event

    def replayed_tool_call(self, name: str, input: Any) -> ToolCall | None:
        """With `replay_tools`, the recorded call of tool `name` with this input (consumed in order).

        None when tools run for real; a mismatch error when replaying tools and none was recorded.
        """
        if not self.replay_tools or self._tool_index is None:
            return None
        input = jsonable(input)
        recorded = self._tool_index.take(name, input)
        if recorded is None:
            raise self._failure(tool_mismatch_error(name, input, self.path, self._hint()))
        self.add(recorded, recorded=False)
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
        self.add(event, recorded=True)
        return event

    def record_decision(self, decision: str, **detail: Any) -> AgentDecision:
        """Add an agent decision (delegation, routing, planning) to the trace."""
        event = AgentDecision(decision=decision, detail=jsonable(detail), started_at=utc_now_iso())
        self.add(event, recorded=True)
        return event

    def record_error(self, exc: BaseException) -> ErrorEvent:
        event = ErrorEvent(error_type=type(exc).__name__, message=str(exc), started_at=utc_now_iso())
        self.add(event, recorded=True)
        return event

    @property
    def unused_calls(self) -> list[LLMCall]:
        """Recorded calls this run never asked for."""
        if self._index is None:
            return []
        return [self._index.calls[i] for i in self._index.unused]


def _has_http_level_calls(cassette: Trace) -> bool:
    """Whether the HTTP-level fallback recorded calls in `cassette` (then it answers them on replay)."""
    from trace_ops.providers import HTTP_LEVEL

    return any(isinstance(e, HTTPCall) or e.provider in HTTP_LEVEL for e in cassette.exchanges)
