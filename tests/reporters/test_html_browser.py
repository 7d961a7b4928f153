"""The HTML report in a real headless chromium (Debian's), driven over CDP (`browser.py`).

What a user sees: the page loads with no console error and asks for nothing but itself, an
event opens on a mouse click, a hostile `<script>` in a recorded answer does not run and shows
as text, the compare view marks the changed step, a 1,000-call run still loads whole.
Screenshots are kept in `test-artifacts/` (ignored by git). Without chromium these tests skip,
unless `CI` is set: then they fail (`.ci/run` installs it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.diff.traces import chat
from tests.reporters.browser import Page, chromium_page, require_chromium
from tests.reporters.runs import HOSTILE, record_run
from trace_ops.reporters.html import generate_html_report
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import ToolCall, Trace

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with chromium_page(require_chromium()) as tab:
        yield tab


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The runs recorded once for this module, and their reports."""
    folder = tmp_path_factory.mktemp("reports")
    with FakeLLMServer() as server:
        plain = record_run(server, folder / "plain.trace.yaml")
        hostile = record_run(server, folder / "hostile.trace.yaml", hostile=True)
        longer = record_run(server, folder / "longer.trace.yaml", extra_tool=True)
    return {
        "plain": generate_html_report(plain, folder / "plain.html", title="plain.trace.yaml"),
        "hostile": generate_html_report(hostile, folder / "hostile.html"),
        "compare": generate_html_report(plain, folder / "compare.html", compare=longer),
    }


def _open_clean(page: Page, path: Path) -> None:
    page.open(path.as_uri())
    assert page.console_problems() == []
    assert page.requests() == [path.as_uri()]  # nothing from the network, no other file


def test_the_page_loads_clean_and_an_event_opens_on_click(page: Page, reports: dict[str, Path]) -> None:
    _open_clean(page, reports["plain"])
    assert page.evaluate("document.title") == "plain.trace.yaml"
    assert page.evaluate("document.querySelectorAll('details.event').length") == 5
    visible = "document.querySelector('#e1 .s-prompt pre').checkVisibility()"
    assert page.evaluate("document.getElementById('e1').open") is False and page.evaluate(visible) is False
    page.click("#e1 > summary")
    assert page.evaluate("document.getElementById('e1').open") is True and page.evaluate(visible) is True
    assert "How many people live in Lyon?" in page.evaluate("document.getElementById('e1').innerText")
    page.click("#e3 > summary")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(ARTIFACTS / "report.png")
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    assert page.console_problems() == []


def test_the_toolbar_expands_filters_and_links_open_their_event(page: Page, reports: dict[str, Path]) -> None:
    _open_clean(page, reports["plain"])
    page.click("button[data-do=expand]")
    assert page.evaluate("[...document.querySelectorAll('details.event')].every(d => d.open)") is True
    page.click("button[data-do=collapse]")
    assert page.evaluate("[...document.querySelectorAll('details.event')].some(d => d.open)") is False
    page.click("#filter")
    page.send("Input.insertText", text="REQUESTED: search")  # typed; only the first call asked for a tool
    shown = "[...document.querySelectorAll('details.event:not(.hidden)')].map(d => d.id)"
    assert page.evaluate(shown) == ["e1"]
    assert page.evaluate("document.getElementById('shown').textContent") == "1 of 5 shown"
    page.evaluate(
        "document.getElementById('filter').value = ''; document.getElementById('filter')"
        ".dispatchEvent(new Event('input'))"
    )
    page.click("#trajectory a[href='#e4']")
    assert (
        page.evaluate("location.hash") == "#e4"
        and page.evaluate("document.getElementById('e4').open") is True
    )
    assert page.console_problems() == []


def test_a_hostile_answer_does_not_run_and_reads_as_text(page: Page, reports: dict[str, Path]) -> None:
    _open_clean(page, reports["hostile"])  # a blocked inline script would be a console error here
    assert page.evaluate("typeof window.PWNED") == "undefined"
    page.click("button[data-do=expand]")
    assert page.evaluate("typeof window.PWNED") == "undefined"
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate("document.querySelectorAll('details.event').length") == 5
    answer = page.evaluate("document.querySelector('#e5 .s-answer pre').textContent")
    assert answer == f"Echo: Sum up: How many people live in Lyon? {HOSTILE}"
    page.screenshot(ARTIFACTS / "report-hostile.png")
    assert page.console_problems() == []


def test_the_compare_view_shows_the_changed_step(page: Page, reports: dict[str, Path]) -> None:
    _open_clean(page, reports["compare"])
    rows = "[...document.querySelectorAll('.align .arow[id]')].map(r => r.classList[1])"
    assert page.evaluate(rows) == ["op-same", "op-same", "op-inserted", "op-same", "op-same", "op-same"]
    sides = "[...document.querySelectorAll('.arow.op-inserted > .side')].map(s => s.innerText)"
    old_side, new_side = page.evaluate(sides)
    assert old_side == "" and "tool:browse" in new_side  # only in the new run
    page.click(".arow.op-inserted #n3 > summary")
    assert page.evaluate("document.getElementById('n3').open") is True
    assert "https://example.org/lyon" in page.evaluate("document.getElementById('n3').innerText")
    changes = page.evaluate("document.getElementById('changes').innerText")
    assert "TRAJECTORY CHANGED" in changes and "New tools used: browse" in changes
    page.click("#changed-only")
    assert page.evaluate("[...document.querySelectorAll('.arow.op-same')].every(r => !r.checkVisibility())")
    page.screenshot(ARTIFACTS / "report-compare.png", full_page=True)
    assert page.console_problems() == []


def test_a_thousand_call_run_loads_whole(page: Page, tmp_path: Path) -> None:
    messages = [{"role": "system", "content": "Research agent. " * 20}]
    events: list[object] = []
    for n in range(1000):
        messages = [*messages, {"role": "user", "content": f"step {n}"}]
        events.append(chat("gpt-4o", f"answer {n}", prompt=messages, tool_calls=[("search", {"q": n})]))
        events.append(ToolCall(name="search", input={"q": n}, output=json.dumps({"n": n}), duration_ms=2.0))
        messages = [*messages, {"role": "assistant", "content": f"answer {n}"}]
    path = generate_html_report(Trace(events=events), tmp_path / "big.html")  # type: ignore[arg-type]
    _open_clean(page, path)
    assert page.evaluate("document.querySelectorAll('details.event').length") == 2000
    page.click("#e1999 > summary")
    assert "step 999" in page.evaluate("document.getElementById('e1999').innerText")
    assert page.console_problems() == []
