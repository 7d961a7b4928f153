"""Trajectory alignment: which steps of two runs correspond, and whether a path is acceptable.

Kept apart from the diff engine because it is generic sequence work (it knows nothing about
traces) and is reused elsewhere: `assertions` checks expected tool paths with
`compare_trajectory`, and the engine aligns steps, requested tool calls and prompt messages
with `align`. Alignment is a minimal edit script (Myers' O(ND) algorithm) after the common
head and tail are split off, returned as difflib-style opcodes.
"""

from __future__ import annotations

import difflib
import enum
from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["Opcode", "TrajectoryMode", "align", "common_prefix", "compare_trajectory"]


# --------------------------------------------------------------------------- trajectory modes


class TrajectoryMode(str, enum.Enum):
    """How strictly an actual step sequence must follow an expected one.

    EXACT: the same steps in the same order. IN_ORDER: the expected steps appear in this
    order, other steps may come in between. ANY_ORDER: every expected step appears (as often
    as expected), in any order, other steps allowed.
    """

    EXACT = "exact"
    IN_ORDER = "in_order"
    ANY_ORDER = "any_order"


def compare_trajectory(
    expected: Sequence[str], actual: Sequence[str], mode: TrajectoryMode | str = TrajectoryMode.EXACT
) -> bool:
    """Whether `actual` satisfies `expected` under `mode` (see `TrajectoryMode`)."""
    mode = TrajectoryMode(mode)
    if mode is TrajectoryMode.EXACT:
        return list(expected) == list(actual)
    if mode is TrajectoryMode.IN_ORDER:
        remaining = iter(actual)
        return all(step in remaining for step in expected)
    return not Counter(expected) - Counter(actual)


# --------------------------------------------------------------------------- alignment

Opcode = tuple[str, int, int, int, int]


def align(a: Sequence[Any], b: Sequence[Any], max_edits: int = 500) -> list[Opcode]:
    """difflib-style opcodes (`equal`/`insert`/`delete`/`replace`) for a minimal edit script.

    Myers' algorithm costs O((N+M)·D) for D edits, so similar runs align in near-linear time
    even when steps repeat a lot (where `difflib.SequenceMatcher` is quadratic or, with its
    junk heuristic, misaligns). The common head and tail are found with slice comparisons
    first. Past `max_edits` the runs have little in common and a coarse `SequenceMatcher`
    alignment is used instead.
    """
    n, m = len(a), len(b)
    lo = common_prefix(a, b)
    tail = _common_suffix(a, b, lo)
    hi_a, hi_b = n - tail, m - tail
    codes: dict[Any, int] = {}
    x = [codes.setdefault(item, len(codes)) for item in a[lo:hi_a]]
    y = [codes.setdefault(item, len(codes)) for item in b[lo:hi_b]]
    middle = _myers(x, y, max_edits)
    if middle is None:
        coarse = difflib.SequenceMatcher(None, x, y).get_matching_blocks()
        middle = [(i + k, j + k) for i, j, size in coarse for k in range(size)]
    pairs = [(i, i) for i in range(lo)] + [(i + lo, j + lo) for i, j in middle]
    pairs += [(hi_a + k, hi_b + k) for k in range(tail)]
    return _opcodes(pairs, n, m)


def common_prefix(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Length of the common head, by bisection over slice comparisons (C-speed)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # a[:lo] == b[:lo] and a[:hi + 1] != b[:hi + 1]
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: Sequence[Any], b: Sequence[Any], skip: int) -> int:
    """Length of the common tail that does not overlap the first `skip` items."""
    n, m = len(a), len(b)
    lo, hi = 0, min(n, m) - skip
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[n - mid : n - lo] == b[m - mid : m - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _myers(a: list[int], b: list[int], max_edits: int) -> list[tuple[int, int]] | None:
    """Matched index pairs of a shortest edit script, or None past `max_edits` edits."""
    n, m = len(a), len(b)
    if not n or not m:
        return []
    limit = min(n + m, max_edits)
    offset = limit + 1
    v = [0] * (2 * limit + 3)
    history: list[list[int]] = []
    for d in range(limit + 1):
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                xi = v[offset + k + 1]
            else:
                xi = v[offset + k - 1] + 1
            yi = xi - k
            while xi < n and yi < m and a[xi] == b[yi]:
                xi, yi = xi + 1, yi + 1
            v[offset + k] = xi
            if xi >= n and yi >= m:
                history.append(v[offset - d - 1 : offset + d + 2])
                return _backtrack(history, n, m)
        history.append(v[offset - d - 1 : offset + d + 2])
    return None


def _backtrack(history: list[list[int]], n: int, m: int) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(len(history) - 1, 0, -1):
        prev = history[d - 1]  # covers k in [-(d-1)-1, (d-1)+1], stored from index 0

        def at(k: int, prev: list[int] = prev, d: int = d) -> int:
            return prev[k + d]

        k = x - y
        prev_k = k + 1 if k == -d or (k != d and at(k - 1) < at(k + 1)) else k - 1
        prev_x = at(prev_k)
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        x, y = prev_x, prev_y
    while x > 0 and y > 0:
        x, y = x - 1, y - 1
        pairs.append((x, y))
    pairs.reverse()
    return pairs


def _opcodes(pairs: list[tuple[int, int]], n: int, m: int) -> list[Opcode]:
    out: list[Opcode] = []
    i = j = 0
    for pi, pj in [*pairs, (n, m)]:
        if i < pi or j < pj:
            tag = "replace" if i < pi and j < pj else ("delete" if i < pi else "insert")
            out.append((tag, i, pi, j, pj))
        if pi < n and pj < m:
            if out and out[-1][0] == "equal" and out[-1][2] == pi and out[-1][4] == pj:
                tag, i1, _, j1, _ = out.pop()
                out.append(("equal", i1, pi + 1, j1, pj + 1))
            else:
                out.append(("equal", pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return out


# --------------------------------------------------------------------------- result types
