"""Which cassettes under a folder may go (old, unused, or both), and deleting them safely.

Deleting is the one thing in trace_ops that cannot be undone, so the rules are narrow: only
regular files of ours, found under the folder without following a link (a symlinked file or
folder is never entered nor deleted), each checked again to lie inside the folder right
before it is removed. A cassette that cannot be read is kept and reported.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from trace_ops._time import parse_iso
from trace_ops.errors import CassetteError
from trace_ops.library import DEFAULT_CASSETTE_DIR, is_ours, unused_reason

__all__ = ["PruneItem", "PrunePlan", "delete_planned", "plan_prune"]


@dataclass(frozen=True)
class PruneItem:
    path: Path
    reasons: tuple[str, ...]


@dataclass
class PrunePlan:
    """What `plan_prune` found: the cassettes to delete, and those it kept because it could not read them."""

    root: Path
    delete: list[PruneItem]
    unreadable: list[tuple[Path, str]]
    kept: int


def _walk(root: Path) -> list[Path]:
    """Our regular files under `root`; links (files or folders) and hidden folders are skipped."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d))
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".yaml") and not os.path.islink(path) and os.path.isfile(path) and is_ours(path):
                found.append(Path(path))
    return found


def _age_s(created_at: str, path: Path, now: dt.datetime) -> float:
    """Seconds since recording (the header's `created_at`; the file's mtime if it has none)."""
    try:
        return (now - parse_iso(created_at)).total_seconds()
    except ValueError:
        return now.timestamp() - path.stat().st_mtime


def plan_prune(
    root: str | os.PathLike[str],
    *,
    older_than_s: float | None = None,
    unused: bool = False,
    cassette_dir: str = DEFAULT_CASSETTE_DIR,
    now: dt.datetime | None = None,
) -> PrunePlan:
    """The cassettes under `root` that are older than `older_than_s` and/or unused (both, when
    both are asked for). Nothing is deleted here."""
    from trace_ops.cassette import load_cassette

    if older_than_s is None and not unused:
        raise ValueError("nothing to prune by: give an age, unused, or both")
    base = Path(os.path.realpath(root))
    if not base.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    now = now or dt.datetime.now(dt.timezone.utc)
    plan = PrunePlan(base, [], [], 0)
    for path in _walk(base):
        reasons: list[str] = []
        if older_than_s is not None:
            try:
                created_at = load_cassette(path).created_at
            except CassetteError as error:
                plan.unreadable.append((path, str(error).removeprefix(f"{path}: ")))
                continue
            age = _age_s(created_at, path, now)
            if age <= older_than_s:
                plan.kept += 1
                continue
            reasons.append(f"{age / 86400:.0f} days old")
        if unused:
            why = unused_reason(path, cassette_dir=cassette_dir)
            if why is None:
                plan.kept += 1
                continue
            reasons.append(f"unused: {why}")
        plan.delete.append(PruneItem(path, tuple(reasons)))
    return plan


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives
        return False


def delete_planned(plan: PrunePlan) -> list[Path]:
    """Delete the plan's cassettes; each must still be a regular file, not a link, inside the root."""
    root = os.path.realpath(plan.root)
    deleted: list[Path] = []
    for item in plan.delete:
        path = os.fspath(item.path)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        if not _inside(os.path.realpath(path), root):
            continue
        os.unlink(path)
        deleted.append(item.path)
    return deleted
