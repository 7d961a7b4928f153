"""Step alignment (minimal edit script) and the trajectory comparison modes."""

from __future__ import annotations

import random

import pytest

from trace_ops.diff import TrajectoryMode, align, compare_trajectory


def lcs_length(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    return table[0][0]


def test_alignment_is_a_valid_and_minimal_edit_script() -> None:
    rng = random.Random(3)
    for _ in range(1500):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        i = j = matched = 0
        for tag, i1, i2, j1, j2 in align(a, b):
            assert (i1, j1) == (i, j)  # contiguous, covering both sequences
            if tag == "equal":
                assert a[i1:i2] == b[j1:j2]
                matched += i2 - i1
            else:
                assert (
                    tag
                    == {(True, True): "replace", (True, False): "delete", (False, True): "insert"}[
                        (i2 > i1, j2 > j1)
                    ]
                )
            i, j = i2, j2
        assert (i, j) == (len(a), len(b))
        assert matched == lcs_length(a, b)


def test_one_insertion_in_a_repetitive_run_is_one_insert() -> None:
    old = ["llm", "tool:search"] * 300
    new = [*old[:201], "tool:browse", *old[201:]]
    assert [op for op in align(old, new) if op[0] != "equal"] == [("insert", 201, 201, 201, 202)]


def test_very_different_sequences_fall_back_without_error() -> None:
    rng = random.Random(5)
    a = [rng.choice("abcd") for _ in range(600)]
    b = [rng.choice("abcd") for _ in range(600)]
    ops = align(a, b, max_edits=20)
    assert ops[0][1] == 0 and ops[-1][2] == 600 and ops[-1][4] == 600
    assert all(a[i1:i2] == b[j1:j2] for tag, i1, i2, j1, j2 in ops if tag == "equal")


@pytest.mark.parametrize(
    ("expected", "actual", "mode", "ok"),
    [
        (["a", "b"], ["a", "b"], TrajectoryMode.EXACT, True),
        (["a", "b"], ["a", "x", "b"], TrajectoryMode.EXACT, False),
        (["a", "b"], ["b", "a"], TrajectoryMode.EXACT, False),
        (["a", "b"], ["a", "x", "b"], TrajectoryMode.IN_ORDER, True),
        (["a", "b"], ["b", "a"], TrajectoryMode.IN_ORDER, False),
        (["a", "a"], ["a", "x"], TrajectoryMode.IN_ORDER, False),
        (["a", "b"], ["b", "x", "a"], TrajectoryMode.ANY_ORDER, True),
        (["a", "a", "b"], ["a", "b"], TrajectoryMode.ANY_ORDER, False),
        (["a"], [], "any_order", False),
        ([], ["x"], "in_order", True),
    ],
)
def test_compare_trajectory(expected: list[str], actual: list[str], mode: TrajectoryMode, ok: bool) -> None:
    assert compare_trajectory(expected, actual, mode) is ok


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        compare_trajectory([], [], "sideways")
