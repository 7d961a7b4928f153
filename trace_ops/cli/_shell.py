"""What every command shares: exit statuses, one-line errors, the console, paths, loading.

Exit 0 on success, 1 on a finding (a diff, an invalid cassette), 2 on a usage error or
unreadable input. Errors are one line on stderr, never a traceback (`TRACE_OPS_DEBUG=1` shows
it for a bug of ours).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console

from trace_ops.errors import TraceOpsError

if TYPE_CHECKING:
    from trace_ops.trace import Trace

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A bad argument or unreadable input: one line, exit 2."""


def run_command(name: str, run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; turn what it raises into one line on stderr and an exit status."""
    try:
        return run(args)
    except (UsageError, TraceOpsError) as error:
        _fail(name, str(error))
    except BrokenPipeError:  # `replay ls | head`: the reader left; that is not an error
        _silence_stdout()
        return EXIT_OK
    except OSError as error:  # a path that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        _fail(name, f"{where}{error.strerror or error}")
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug of ours: still one line, the traceback on request
        if os.environ.get("TRACE_OPS_DEBUG"):
            traceback.print_exc()
        hint = "TRACE_OPS_DEBUG=1 shows the traceback"
        _fail(name, f"internal error: {type(error).__name__}: {error} ({hint})")
    return EXIT_USAGE


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the exit's final flush must not hit the closed pipe again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _fail(name: str, message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"replay {name}: {first}", file=sys.stderr)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader left (`replay ls | head`): not an error, so run_command's exit 0, not rich's 1."""
        self.quiet = True
        raise BrokenPipeError


def make_console(file: IO[str] | None = None) -> Console:
    """rich on a terminal; plain text (no colour, no wrapping) when piped or NO_COLOR is set."""
    stream = file if file is not None else sys.stdout
    tty = stream.isatty()
    plain = not tty or bool(os.environ.get("NO_COLOR"))
    return _Console(
        file=stream,
        no_color=plain,
        color_system=None if plain else "auto",
        force_terminal=tty and not plain,
        highlight=False,
        soft_wrap=not tty,
        emoji=False,
    )


def expand_paths(paths: Iterable[str], *, recursive: bool = True) -> list[Path]:
    """Files as given, folders as the cassettes under them (sorted); a missing path is a usage error."""
    from trace_ops.library import discover

    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found.extend(discover(path) if recursive else sorted(path.glob("*.yaml")))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"{text}: no such file or folder")
    return found


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """The cassette at `path` as a Trace; anything wrong with it is one-line unreadable input."""
    from trace_ops.cassette import load_cassette
    from trace_ops.errors import CassetteError

    try:
        return load_cassette(path)
    except CassetteError as error:
        raise UsageError(str(error)) from None


def print_json(data: Any, file: IO[str] | None = None) -> None:
    """Data output for `--json`: indented, keys in the order given, UTF-8 kept readable."""
    stream = file if file is not None else sys.stdout
    json.dump(data, stream, indent=2, ensure_ascii=False, default=str)
    stream.write("\n")


def format_age(seconds: float | None) -> str:
    """`45s`, `12m`, `5h`, `3d`; `unknown` when the age is not known."""
    if seconds is None:
        return "unknown"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{max(seconds, 0):.0f}s"


def format_size(size: int) -> str:
    """`812 B`, `4.2 KB`, `1.3 MB`."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def one_path(text: str, *, folder: bool = False) -> Path:
    """A path the user gave that must exist (a folder when `folder`); anything else is a usage error."""
    path = Path(text)
    if not path.exists():
        raise UsageError(f"{text}: no such {'folder' if folder else 'file or folder'}")
    if folder and not path.is_dir():
        raise UsageError(f"{text}: not a folder")
    return path
