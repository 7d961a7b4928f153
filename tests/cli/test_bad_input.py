"""Every command on missing, corrupt and foreign files: one line on stderr, the right exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import VCR_CASSETTE
from tests.cli.test_cli import replay

GOOD = "cassettes/test_agent/test_search.trace.yaml"
BAD_FILES = {
    "missing": None,
    "corrupt": "version: 1\ntrace: {id: x\nevents: [",
    "foreign": VCR_CASSETTE,
    "binary": "\x00\x01 not yaml \x02",
}

# (command line with {bad} and {good}, exit status for an unreadable file)
COMMANDS = {
    "inspect": (["inspect", "{bad}"], 2),
    "diff-old": (["diff", "{bad}", "{good}"], 2),
    "diff-new": (["diff", "{good}", "{bad}"], 2),
    "export": (["export", "{bad}", "--format", "json", "-o", "{out}"], 2),
    "ls": (["ls", "{bad}"], 2),
    "stats": (["stats", "{bad}"], 2),
    "validate": (["validate", "{bad}"], 1),  # an unreadable cassette is a finding, reported per file
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_input_is_one_line(command: str, kind: str, library: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.trace.yaml"
    if BAD_FILES[kind] is not None:
        bad.write_text(BAD_FILES[kind] or "", encoding="utf-8")
    template, status = COMMANDS[command]
    values = {"bad": str(bad), "good": str(library / GOOD), "out": str(tmp_path / "out.json")}
    result = replay(*(part.format(**values) for part in template))
    expected = 2 if kind == "missing" else status
    assert result.returncode == expected, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    name = command.split("-")[0]
    if expected == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"replay {name}: ") and str(bad) in lines[0]
    else:
        problems = [line for line in result.stdout.splitlines() if line.startswith(str(bad))]
        assert len(problems) == 1
    assert not (tmp_path / "out.json").exists()


def test_a_folder_where_a_file_is_expected(library: Path) -> None:
    result = replay("inspect", str(library))
    assert result.returncode == 2 and "is a directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_prune_needs_an_existing_folder_and_a_rule(library: Path) -> None:
    missing = replay("prune", str(library / "nope"), "--older-than", "30d")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    a_file = replay("prune", str(library / GOOD), "--older-than", "30d")
    assert a_file.returncode == 2 and "not a folder" in a_file.stderr
    no_rule = replay("prune", str(library))
    assert no_rule.returncode == 2 and "give --older-than AGE, --unused, or both" in no_rule.stderr
    bad_age = replay("prune", str(library), "--older-than", "soon")
    assert bad_age.returncode == 2 and "cannot read 'soon'" in bad_age.stderr


def test_a_corrupt_cassette_among_good_ones_is_skipped_and_named(library: Path) -> None:
    bad = library / "cassettes" / "test_agent" / "test_broken.trace.yaml"
    bad.write_text("version: 1\nevents: [", encoding="utf-8")
    (library / "cassettes" / "test_agent" / "vcr.yaml").write_text(VCR_CASSETTE, encoding="utf-8")
    for command in ("ls", "stats"):
        result = replay(command, str(library))
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"replay {command}: skipped {bad}: " + result.stderr.split(f"{bad}: ", 1)[1].strip()
        ]
        assert "test_broken" not in result.stdout and "vcr" not in result.stdout  # VCR.py's is not ours
    pruned = replay("prune", str(library), "--older-than", "0s", "--dry-run")
    assert pruned.returncode == 0 and f"kept {bad} (cannot read it" in pruned.stderr
    assert "test_broken" not in pruned.stdout
