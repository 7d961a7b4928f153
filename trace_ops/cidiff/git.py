"""The git side of ci-diff: resolve two refs, list the cassettes changed between them, read blobs.

It shells out to `git` (always present where a repository is) rather than parsing packfiles. On
a shallow clone a ref that is not there is fetched alone (`git fetch --depth=1 origin REF`), the
two trees being all a diff needs; when that fails the error says what is missing and how to get it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Literal

from trace_ops.errors import TraceOpsError
from trace_ops.library import looks_like_ours

Status = Literal["added", "removed", "modified", "renamed"]

_STATUS: dict[str, Status] = {"A": "added", "D": "removed", "M": "modified", "T": "modified", "R": "renamed"}


class GitError(TraceOpsError):
    """git could not answer (not a repository, an unknown ref): one line saying what and how to fix it."""


@dataclass(frozen=True)
class FileChange:
    """One changed cassette: how it changed, and its path before and after (None where absent)."""

    status: Status
    old_path: str | None
    new_path: str | None

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def _git(
    repo: str | os.PathLike[str], *args: str, binary: bool = False
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", os.fspath(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (ci-diff reads the repository with it)") from None


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no output"


def _verify(repo: str | os.PathLike[str], ref: str) -> str | None:
    result = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return result.stdout.decode().strip() or None if result.returncode == 0 else None


def resolve_commit(
    repo: str | os.PathLike[str], ref: str, *, remote: str = "origin", fetch: bool = True
) -> str:
    """The commit id `ref` names; on a shallow clone a missing ref is fetched alone from `remote`."""
    inside = _git(repo, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        raise GitError(f"{os.fspath(repo)} is not a git repository ({_first_line(inside.stderr)})")
    found = _verify(repo, ref)
    if found is not None:
        return found
    why = "it is not in this clone"
    if fetch:
        fetched = _git(repo, "fetch", "--quiet", "--no-tags", "--depth=1", remote, ref)
        if fetched.returncode == 0:
            found = _verify(repo, ref) or _verify(repo, "FETCH_HEAD")
            if found is not None:
                return found
        failed = _first_line(fetched.stderr)
        why = f"it is not in this clone and `git fetch --depth=1 {remote} {ref}` failed: {failed}"
    raise GitError(
        f"cannot diff against {ref!r}: {why}; fetch it (git fetch --depth=1 {remote} {ref}) "
        "or check out with full history (actions/checkout fetch-depth: 0)"
    )


def read_blob(repo: str | os.PathLike[str], commit: str, path: str) -> bytes:
    """A file's bytes as of `commit`."""
    result = _git(repo, "cat-file", "blob", f"{commit}:{path}")
    if result.returncode != 0:
        raise GitError(f"cannot read {path} at {commit[:12]}: {_first_line(result.stderr)}")
    return result.stdout


def changed_cassettes(
    repo: str | os.PathLike[str], base: str, head: str, directory: str = "."
) -> list[FileChange]:
    """The cassettes of ours added, removed, modified or renamed from `base` to `head` under `directory`.

    Both are commit ids (see `resolve_commit`); paths are relative to the repository's root."""
    result = _git(repo, "diff", "--name-status", "-z", "-M", "--no-color", base, head, "--", directory)
    if result.returncode != 0:
        raise GitError(f"git diff {base[:12]} {head[:12]} failed: {_first_line(result.stderr)}")
    fields = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        code = fields[i][0]
        if code in "RC":
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            change = FileChange("renamed", old, new) if code == "R" else FileChange("added", None, new)
        else:
            path = fields[i + 1]
            i += 2
            status = _STATUS.get(code)
            if status is None:  # U(nmerged), X: nothing to compare
                continue
            change = FileChange(
                status, None if status == "added" else path, None if status == "removed" else path
            )
        if _is_cassette(repo, change, base, head):
            changes.append(change)
    return changes


def _is_cassette(repo: str | os.PathLike[str], change: FileChange, base: str, head: str) -> bool:
    commit, path = (head, change.new_path) if change.new_path is not None else (base, change.old_path)
    assert path is not None
    if not path.endswith((".yaml", ".yml")):
        return False
    head_bytes = _git(repo, "cat-file", "blob", f"{commit}:{path}").stdout[:512]
    return looks_like_ours(path, head_bytes)
