"""The tools `compare.py` measures, behind one small interface, each imported only in its own venv.

trace_ops (ours) and the reference TraceOps 0.5.0 share the import name `trace_ops`, so a
worker process imports exactly one of them. Every adapter drives the real tool the way its
README tells users to; where a tool has no such operation, the method raises `Unsupported`
and the table says so instead of a number.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any


class Unsupported(Exception):
    """The tool cannot do this workload (the message says why, for the table)."""


class Tool:
    name = "?"

    def replay(self, path: str) -> contextlib.AbstractContextManager[Any]:
        raise Unsupported("no replay")

    def record(self, path: str | None) -> contextlib.AbstractContextManager[Any]:
        """Record the calls made inside; save to `path` on exit when given."""
        raise Unsupported("no recording")

    def load(self, path: str) -> Any:
        raise Unsupported("no cassette load")

    def save(self, loaded: Any, path: str) -> None:
        raise Unsupported("no cassette save")

    def diff(self, old: Any, new: Any) -> Any:
        raise Unsupported("no trace diff")

    def version(self) -> str:
        return "?"


class Floor(Tool):
    """The SDK alone over MockTransport: no tool imported, nothing patched."""

    name = "floor"

    def replay(self, path: str) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def record(self, path: str | None) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()


class Ours(Tool):
    name = "trace_ops"

    def __init__(self) -> None:
        import trace_ops

        self.mod = trace_ops

    def version(self) -> str:
        return str(self.mod.__version__)

    def replay(self, path: str) -> contextlib.AbstractContextManager[Any]:
        return self.mod.Replayer(path)

    def record(self, path: str | None) -> contextlib.AbstractContextManager[Any]:
        return self.mod.Recorder(save_to=path) if path else self.mod.Recorder()

    def load(self, path: str) -> Any:
        return self.mod.load_cassette(path)

    def save(self, loaded: Any, path: str) -> None:
        self.mod.save_cassette(loaded, path)

    def diff(self, old: Any, new: Any) -> Any:
        return self.mod.diff_traces(old, new)


class Reference(Tool):
    """TraceOps 0.5.0 from PyPI (`pip install traceops`), the API of its README."""

    name = "reference"

    def __init__(self) -> None:
        import trace_ops

        self.mod = trace_ops

    def version(self) -> str:
        from importlib.metadata import version

        return version("traceops")

    def replay(self, path: str) -> contextlib.AbstractContextManager[Any]:
        return self.mod.Replayer(path)

    def record(self, path: str | None) -> contextlib.AbstractContextManager[Any]:
        return self.mod.Recorder(save_to=path) if path else self.mod.Recorder()

    def load(self, path: str) -> Any:
        return self.mod.load_cassette(path)

    def save(self, loaded: Any, path: str) -> None:
        self.mod.save_cassette(loaded, path)

    def diff(self, old: Any, new: Any) -> Any:
        return self.mod.diff_traces(old, new)


class VCR(Tool):
    """VCR.py at the HTTP layer (httpx transports, MockTransport included), default matching
    (method + URI), as pytest-recording configures it."""

    name = "vcrpy"

    def __init__(self) -> None:
        import vcr
        from vcr.cassette import Cassette

        self.vcr = vcr.VCR()
        self.cassette_cls = Cassette

    def version(self) -> str:
        from importlib.metadata import version

        return version("vcrpy")

    def replay(self, path: str) -> contextlib.AbstractContextManager[Any]:
        return self.vcr.use_cassette(path, record_mode="none")

    @contextlib.contextmanager
    def record(self, path: str | None) -> Iterator[Any]:
        target = path or os.devnull + ".vcr-unsaved"  # VCR needs a path; in memory it is never written
        with self.vcr.use_cassette(target, record_mode="all") as cassette:
            if path is None:
                cassette.dirty = False
                cassette._save = lambda force=False: None  # measure recording, not the save
            yield cassette

    def load(self, path: str) -> Any:
        return self.cassette_cls.load(path=path, record_mode="none")

    def save(self, loaded: Any, path: str) -> None:
        loaded._path = path
        loaded._save(force=True)


def make(name: str) -> Tool:
    tools: dict[str, Callable[[], Tool]] = {
        "floor": Floor,
        "trace_ops": Ours,
        "reference": Reference,
        "vcrpy": VCR,
    }
    return tools[name]()
