"""SIGTERM (what CI sends on a timeout) saves what the active recording sessions recorded.

While a session that saves is active, a SIGTERM handler is installed from the main thread:
only over the default handler or over another Python handler (which it then calls), never
over `SIG_IGN` or a handler set from C. It stops every active session as if the agent had
raised `Terminated` (streams in flight are saved marked incomplete, the run gets an error
event), then terminates as the default would (exit status: killed by SIGTERM). The previous
handler is put back when the last session stops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol


class Terminated(Exception):
    """The process was asked to stop (SIGTERM) while recording."""


class _Stoppable(Protocol):
    def stop(self, exc: BaseException | None = None) -> None: ...


_lock = threading.RLock()  # reentrant: the handler runs in the main thread, which may hold it
_active: list[_Stoppable] = []
_previous: Any = None  # the handler ours replaced; None when ours is not installed
_installed = False


def watch(session: _Stoppable) -> None:
    """Save `session` on SIGTERM until `unwatch`; installs the handler if this can."""
    global _previous, _installed
    with _lock:
        _active.append(session)
        if _installed or threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signal.SIGTERM)
        if current is signal.SIG_DFL or (callable(current) and current is not _on_sigterm):
            signal.signal(signal.SIGTERM, _on_sigterm)
            _previous, _installed = current, True


def unwatch(session: _Stoppable) -> None:
    """`session` stopped: the previous handler is back once no session is active."""
    global _previous, _installed
    with _lock:
        if session in _active:
            _active.remove(session)
        if _active or not _installed or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:  # someone else's since: leave theirs
            signal.signal(signal.SIGTERM, _previous)
        _previous, _installed = None, False


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    previous = _previous
    with _lock:
        sessions = list(reversed(_active))
    for session in sessions:
        with contextlib.suppress(Exception):  # a save that failed said so (logged); the others still save
            session.stop(Terminated("the process received SIGTERM while recording"))
    if callable(previous) and previous is not _on_sigterm:
        handler: Callable[[int, FrameType | None], Any] = previous
        handler(signum, frame)
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
