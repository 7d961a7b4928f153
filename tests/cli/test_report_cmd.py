"""`replay report` as a user runs it: the installed console script, in a child process."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import replay
from tests.reporters.runs import record_run
from trace_ops.testing import FakeLLMServer


def _one_line_error(result: object, *words: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert stderr.startswith("replay report: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and all(word in stderr for word in words), stderr


def test_report_writes_one_self_contained_page(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = record_run(fake_llm, tmp_path / "lyon.trace.yaml")
    out = tmp_path / "site" / "report.html"
    result = replay("report", str(tmp_path / "lyon.trace.yaml"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out} (") and "5 events" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>lyon.trace.yaml</title>" in page
    assert trace.id in page and page.count('class="event ') == 5 and "Steps, aligned" not in page


def test_report_compare_writes_the_diff_view(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    record_run(fake_llm, tmp_path / "old.trace.yaml")
    record_run(fake_llm, tmp_path / "new.trace.yaml", extra_tool=True)
    out = tmp_path / "diff.html"
    result = replay(
        "report",
        str(tmp_path / "old.trace.yaml"),
        "--compare",
        str(tmp_path / "new.trace.yaml"),
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr  # a diff in a report is not a finding: the page is
    page = out.read_text(encoding="utf-8")
    assert "<title>old.trace.yaml vs new.trace.yaml</title>" in page
    assert 'class="arow op-inserted"' in page and "New tools used: browse" in page


def test_a_bad_or_missing_cassette_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntrace: [unclosed\n", encoding="utf-8")
    out = tmp_path / "report.html"
    _one_line_error(replay("report", str(broken), "-o", str(out)), "broken.yaml")
    _one_line_error(replay("report", str(tmp_path / "missing.yaml"), "-o", str(out)), "missing.yaml")
    assert not out.exists()


def test_an_unwritable_output_is_one_line(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    cassette = tmp_path / "run.trace.yaml"
    record_run(fake_llm, cassette)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    _one_line_error(replay("report", str(cassette), "-o", str(blocker / "report.html")), "a-file/report.html")
    _one_line_error(
        replay("report", str(cassette), "-o", "/proc/report.html"), "/proc/report.html: cannot write"
    )
    _one_line_error(replay("report", str(cassette), "-o", str(tmp_path)), "is a folder")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_help_shows_an_example() -> None:
    result = replay("report", "--help")
    assert result.returncode == 0
    assert "--compare OTHER" in result.stdout and "replay report cassettes/v1.yaml" in result.stdout
