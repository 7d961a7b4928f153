"""How a trace_ops failure reads in pytest: the user's frames and our message, not our internals.

A replay mismatch is raised deep inside the SDK call (interceptor, session), and a budget
breach after the test body (in the plugin's hook). Those frames say nothing to the user, so
for a `TraceOpsError` the report is built from a traceback without them: our frames are
dropped anywhere, SDK frames only between the user's last line and ours. A failure with no
user frame left (a budget breach) shows its message alone, located at the test function.
`--fulltrace` keeps everything; `--tb=native` prints what is left in Python's own format
(pytest's frames included, as pytest does), or everything when no user frame is left.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import TracebackType

import pytest

from trace_ops.errors import TraceOpsError

#: SDK packages whose frames sit between the user's call and our interceptor.
_SDK_PACKAGES = ("openai", "anthropic", "litellm", "wrapt", "httpx", "httpx2")
_PYTEST_PACKAGES = ("_pytest", "pluggy")
_OWN_DIR = Path(__file__).resolve().parent.parent  # the trace_ops package, not only this plugin


_package_dirs: dict[str, Path] = {}


def _package_dir(name: str) -> Path | None:
    """Where an imported package lives (not remembered while it is not imported yet)."""
    if name not in _package_dirs:
        origin = getattr(sys.modules.get(name), "__file__", None)
        if not origin:
            return None
        _package_dirs[name] = Path(origin).resolve().parent
    return _package_dirs[name]


@cache
def _where(filename: str) -> str:
    """'ours', 'sdk', 'pytest' or 'user' for a frame's file."""
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return "user"
    parents = set(path.parents)
    if _OWN_DIR in parents:
        return "ours"
    for kind, names in (("sdk", _SDK_PACKAGES), ("pytest", _PYTEST_PACKAGES)):
        if any(_package_dir(name) in parents for name in names):
            return kind
    return "user"


def _frames(tb: TracebackType | None) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _chain(kept: list[TracebackType]) -> TracebackType | None:
    head: TracebackType | None = None
    for tb in reversed(kept):
        head = TracebackType(head, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    return head


def concerns_us(call: pytest.CallInfo[None], config: pytest.Config) -> bool:
    return (
        call.excinfo is not None
        and isinstance(call.excinfo.value, TraceOpsError)
        and not config.getoption("fulltrace", False)
    )


def trim(call: pytest.CallInfo[None]) -> bool:
    """Give `call` the traceback the user needs; False when no frame of the user's is in it."""
    excinfo = call.excinfo
    assert excinfo is not None
    frames = list(_frames(excinfo.tb))
    kept = [tb for tb in frames if _where(tb.tb_frame.f_code.co_filename) != "ours"]
    while kept and _where(kept[-1].tb_frame.f_code.co_filename) == "sdk":
        kept.pop()
    if all(_where(tb.tb_frame.f_code.co_filename) == "pytest" for tb in kept):
        return False
    if len(kept) < len(frames):
        head = _chain(kept)
        assert head is not None
        call.excinfo = pytest.ExceptionInfo.from_exc_info((excinfo.type, excinfo.value, head))
    return True


def message_only(report: pytest.TestReport, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """The report of a failure raised outside the user's code: the message, at the test's location."""
    excinfo = call.excinfo
    style = item.config.getoption("tbstyle", "auto")
    if excinfo is None or style not in ("auto", "long", "short", "line"):
        return  # native: Python's own format, unfiltered; no: nothing is printed
    empty = type(excinfo.traceback)([])
    longrepr = excinfo.getrepr(style="long" if style == "auto" else style, tbfilter=lambda _: empty)
    try:
        from _pytest._code.code import ReprFileLocation
    except ImportError:  # pragma: no cover - pytest moved it: the one-line forms lose the location
        pass
    else:
        path, line, _ = item.location
        where = str(item.config.rootpath / path)
        longrepr.reprcrash = ReprFileLocation(where, (line or 0) + 1, excinfo.exconly(tryshort=True))
    report.longrepr = longrepr


__all__ = ["concerns_us", "message_only", "trim"]
