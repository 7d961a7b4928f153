"""The cassette library: where cassettes live, which files are ours, which went unused or stale.

Pure functions over paths and cassette metadata, with no pytest in them: the pytest plugin
names a test's cassette and judges a run's cassettes with them, and the coming
`replay ls/stats/prune` commands walk the same library with the same rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from trace_ops._time import parse_iso

#: Our cassettes' suffix. pytest-recording / VCR.py default to cassettes/<module>/<test>.yaml,
#: the very folder we use: the suffix keeps a test that uses both from writing one file twice.
CASSETTE_SUFFIX = ".trace.yaml"
#: The folder next to a test file that holds its module's cassettes (`cassette_dir` overrides it).
DEFAULT_CASSETTE_DIR = "cassettes"

_MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


# ---------------------------------------------------------------- naming


def safe_name(name: str) -> str:
    """A test name as a file name: unsafe runs become `_`; a long one is cut and keeps a hash."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "test"
    if len(cleaned) > _MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
        cleaned = f"{cleaned[: _MAX_NAME - 11]}-{digest}"
    return cleaned


def default_cassette_path(
    test_file: Path,
    test_name: str,
    *,
    class_name: str | None = None,
    cassette_dir: str = DEFAULT_CASSETTE_DIR,
) -> Path:
    """<test file's folder>/<cassette_dir>/<test module>/<Class.>test_name.trace.yaml."""
    name = f"{class_name}.{test_name}" if class_name is not None else test_name
    return test_file.parent / cassette_dir / test_file.stem / f"{safe_name(name)}{CASSETTE_SUFFIX}"


# ---------------------------------------------------------------- discovery and orphans


def is_ours(path: str) -> bool:
    """A *.trace.yaml file, or a .yaml file that reads like one of ours (VCR.py's sit beside ours)."""
    if path.endswith(CASSETTE_SUFFIX):
        return True
    try:
        with open(path, "rb") as file:
            head = file.read(512)
    except OSError:
        return False
    return b"\ntrace:" in head and b"interactions:" not in head


def discover(root: str | os.PathLike[str]) -> Iterator[Path]:
    """Every cassette of ours under `root`, in sorted order (hidden folders are skipped)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".yaml") and is_ours(path := os.path.join(folder, name)):
                yield Path(path)


def orphans(used: Iterable[str]) -> list[str]:
    """Cassettes next to used ones that no test used (the folder cassettes/<module>/ is what we can judge)."""
    used_paths = {os.path.normcase(os.path.abspath(path)) for path in used}
    found: list[str] = []
    for folder in sorted({os.path.dirname(path) for path in used_paths}):
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".yaml"))
        except OSError:
            continue
        found += [p for name in names if (p := os.path.join(folder, name)) not in used_paths and is_ours(p)]
    return found


# ---------------------------------------------------------------- unused, without a pytest run


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(CASSETTE_SUFFIX)] if name.endswith(CASSETTE_SUFFIX) else path.stem


def _test_names(source: str) -> set[str] | None:
    """The cassette base names the tests of a module get (`test_x`, `TestC.test_y`); None: unparsable."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()

    def visit(body: list[ast.stmt], owner: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                names.add(safe_name(f"{owner}.{node.name}" if owner else node.name))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, node.name)

    visit(tree.body, None)
    return names


def unused_reason(path: str | os.PathLike[str], *, cassette_dir: str = DEFAULT_CASSETTE_DIR) -> str | None:
    """Why the cassette at `path` belongs to no test any more, or None when it may still be used.

    Without a pytest run, "unused" is judged from the plugin's naming rule
    (<dir>/<cassette_dir>/<module>/<test>.trace.yaml): the test module <dir>/<module>.py is
    gone, or it no longer defines a test of that name (a parametrized test's cassettes carry
    its name as a prefix) and does not mention the file's name (a `cassette` marker naming it).
    Anything this rule cannot place is kept: when in doubt, a cassette is in use.
    """
    file = Path(path)
    folder = file.parent
    if folder.parent.name != cassette_dir:
        return None
    test_file = folder.parent.parent / f"{folder.name}.py"
    try:
        source = test_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"its test module {test_file.name} is gone"
    except OSError:
        return None
    stem = _stem(file)
    names = _test_names(source)
    if names is None or stem in source or file.name in source:
        return None
    if any(stem == name or stem.startswith(f"{name}_") for name in names):
        return None
    return f"no test in {test_file.name} records it"


# ---------------------------------------------------------------- staleness


def parse_age(text: str) -> float:
    """Seconds in an age such as `30d`, `12h`, `90m`, `2w`, `45s` (a bare number is days)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if match is None:
        raise ValueError(f"cannot read {text!r} (use e.g. 30d, 12h, 90m)")
    unit = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    return float(match.group(1)) * unit


@functools.cache
def installed_major(package: str) -> str | None:
    """The major version of an installed package, None when it is not installed."""
    try:
        from importlib.metadata import version

        return version(package).split(".", 1)[0]
    except Exception:
        return None


def stale_reasons(
    sdk_versions: Mapping[str, object] | None, created_at: object, max_age_s: float | None
) -> list[str]:
    """Why a cassette may no longer tell the truth: another SDK major installed, or older than the limit."""
    reasons = []
    for package, recorded in (sdk_versions or {}).items():
        installed = installed_major(package)
        if installed is not None and str(recorded).split(".", 1)[0] != installed:
            reasons.append(f"recorded with {package} {recorded}, installed {installed}.x")
    if max_age_s is not None and created_at:
        try:
            when = parse_iso(str(created_at))
            age = (dt.datetime.now(dt.timezone.utc) - when).total_seconds()
            if age > max_age_s:
                reasons.append(f"{age / 86400:.0f} days old")
        except ValueError:
            pass
    return reasons


__all__ = [
    "CASSETTE_SUFFIX",
    "DEFAULT_CASSETTE_DIR",
    "default_cassette_path",
    "discover",
    "installed_major",
    "is_ours",
    "orphans",
    "parse_age",
    "safe_name",
    "stale_reasons",
    "unused_reason",
]
