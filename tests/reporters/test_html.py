"""The HTML report as a file: what it shows, that recorded text stays text, that it loads nothing.

The page is parsed with the standard library's HTML parser (as a browser tokenizes it) to
count elements; `test_html_browser.py` opens it in a real chromium.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.diff.traces import chat
from tests.reporters.runs import HOSTILE, SYSTEM, record_run
from trace_ops import diff_traces
from trace_ops.formatting import format_usd
from trace_ops.reporters.html import generate_html_report, render_html_report
from trace_ops.reporters.outline import trace_header
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import ErrorEvent, LLMCall, ToolCall, Trace


class Page(HTMLParser):
    """Elements (tag, attributes, text inside) as a browser's tokenizer sees them."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        current = self._open[-1] if self._open else ""
        if current == "script":
            self.scripts.append(data)
        elif current == "style":
            self.styles.append(data)
        else:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def having(self, tag: str, css: str = "", **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag
            and (not css or css in a.get("class", "").split())
            and all(a.get(k) == v for k, v in attrs.items())
        ]


@pytest.fixture
def run(fake_llm: FakeLLMServer, tmp_path: Path) -> Trace:
    return record_run(fake_llm, tmp_path / "run.trace.yaml")


def test_the_page_shows_stats_trajectory_and_every_event(run: Trace) -> None:
    source = render_html_report(run, title="lyon.trace.yaml")
    page = Page(source)
    header = trace_header(run)
    text = page.text
    for key, value in (
        ("LLM calls", "3"),
        ("Tool calls", "1"),
        ("Tokens", f"{header.tokens:,}"),
        ("Cost", format_usd(header.cost_usd)),
    ):
        assert re.search(rf"{key}\s*{re.escape(value)}", text), key
    assert header.cost_usd is not None and header.tokens == run.total_tokens > 0
    assert "gpt-4o-mini" in text and "claude-3-5-haiku-latest" in text and run.id in text
    steps = re.findall(r'<a class="step [^"]*" href="#(e\d+)"[^>]*>([^<]*)</a>', source)
    assert steps == [(f"e{n}", label) for n, label in enumerate(run.trajectory, 1)]
    assert [a["id"] for a in page.having("details", "event")] == [f"e{n}" for n in range(1, 6)]
    for expected in (
        SYSTEM,  # the prompt, as sent
        "Tool call requested: search",
        "Lyon has about 520,000 inhabitants.",  # the tool's output
        "Based on the tool result",  # the second answer
        "Echo: Sum up: How many people live in Lyon?",  # Anthropic's answer
        "tool_call_id",  # the tool result sent back in the second prompt
    ):
        assert expected in text, expected
    assert "<title>lyon.trace.yaml</title>" in source


def test_recorded_html_stays_text_and_closes_nothing(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    trace = record_run(fake_llm, tmp_path / "hostile.trace.yaml", hostile=True)
    source = render_html_report(trace)
    page = Page(source)
    assert len(page.having("script")) == 1 and "PWNED" not in "".join(page.scripts)
    handlers = [a for _, a in page.elements if any(name.startswith("on") for name in a)]
    assert not handlers  # no onerror= made it into an element
    assert not page.having("img")
    assert len(page.having("details", "event")) == len(trace.events) == 5
    assert page.text.count(HOSTILE) >= 4  # as written: in prompts, answers, tool output
    assert page.text.count("<script>window.PWNED=1</script>") >= 10  # and inside JSON (tool args, decision)
    assert "<script>window.PWNED" not in source and "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in source


def test_the_page_loads_nothing_and_admits_only_its_own_script(run: Trace) -> None:
    source = render_html_report(run)
    page = Page(source)
    links = [a.get("href", "") for _, a in page.elements if "href" in a]
    assert links and all(link.startswith("#") for link in links)
    assert not [a for _, a in page.elements if "src" in a]
    assert not re.search(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", source)
    policy = next(a["content"] for a in page.having("meta", **{"http-equiv": "Content-Security-Policy"}))
    assert "default-src 'none'" in policy

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {sha(page.scripts[0])}" in policy and f"style-src {sha(page.styles[0])}" in policy


def test_the_same_run_gives_the_same_bytes_written_atomically(run: Trace, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    assert generate_html_report(run, out) == out
    assert out.read_text(encoding="utf-8") == render_html_report(run) == render_html_report(run)
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]  # no temp file left


def test_the_compare_view_says_what_the_diff_says_and_marks_the_steps(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    old = record_run(fake_llm, tmp_path / "old.trace.yaml")
    new = record_run(fake_llm, tmp_path / "new.trace.yaml", extra_tool=True)
    page = Page(render_html_report(old, compare=new))
    text = page.text
    diff = diff_traces(old, new)
    for line in diff.summary().splitlines()[1:]:
        assert line.strip() in text, line
    ops = [a["class"].split()[1] for a in page.having("div", "arow") if a.get("id", "").startswith("s")]
    assert ops == ["op-same", "op-same", "op-inserted", "op-same", "op-same", "op-same"]
    source = render_html_report(old, compare=new)
    inserted = source_between(source, 'class="arow op-inserted"', '<div class="arow')
    assert 'id="n3"' in inserted and "tool:browse" in inserted
    assert {a["id"] for a in page.having("details", "event")} >= {"o1", "o5", "n1", "n6"}
    assert "New tools used: browse" in text and "Old run" in text and "Figures" in text


def test_a_changed_answer_marks_its_pair_and_says_why(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    old = record_run(fake_llm, tmp_path / "old.trace.yaml")
    new = record_run(fake_llm, tmp_path / "new.trace.yaml", hostile=True)
    source = render_html_report(old, compare=new)
    page = Page(source)
    ops = [a["class"].split()[1] for a in page.having("div", "arow") if a.get("id", "").startswith("s")]
    # every call and tool saw the changed question; the diff does not compare a decision's detail
    assert ops == ["op-changed", "op-changed", "op-changed", "op-same", "op-changed"]
    first = source_between(source, 'id="s1"', '<div class="arow')
    assert "Requested tool args changed: search" in Page(first).text
    assert "Prompt diffs" in page.text and "Response diffs" in page.text
    assert len(page.having("script")) == 1 and page.text.count(HOSTILE) >= 5


def source_between(source: str, start: str, end: str) -> str:
    begin = source.index(start)
    return source[begin : source.index(end, begin)]


def _growing_conversation(calls: int) -> Trace:
    """An agent that resends the whole conversation on every call (the worst case for size)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief. " * 30}]
    events: list[Any] = []
    for n in range(calls):
        messages = [*messages, {"role": "user", "content": f"question number {n}"}]
        events.append(chat("gpt-4o", f"answer number {n}", prompt=messages, response_id=f"r{n}"))
        events.append(ToolCall(name="lookup", input={"n": n}, output=f"fact {n}", duration_ms=1.0))
        messages = [*messages, {"role": "assistant", "content": f"answer number {n}"}]
    return Trace(events=events)


def test_a_long_conversation_gives_a_page_linear_in_the_run() -> None:
    small, large = (render_html_report(_growing_conversation(n)) for n in (50, 500))
    assert len(large) < 12 * len(small)  # 10x the calls; the prompts alone would be 100x
    page = Page(large)
    text = page.text
    assert all(f"question number {n}" in text and f"answer number {n}" in text for n in range(500))
    assert len(page.having("details", "event")) == 1000
    last = source_between(large, 'id="e999"', "</details>")
    assert "Prompt messages 1\u2013998: as in" in Page(last).text and 'href="#e997"' in last
    assert "Prompt message 1000 (user)" in Page(last).text and "question number 499" in last


def test_odd_text_unknown_prices_errors_and_an_empty_run() -> None:
    odd = "nul\x00 bell\x07 lone surrogate \ud800 done"
    trace = Trace(
        events=[
            chat("no-such-model-xyz", odd),
            ErrorEvent(error_type="ValueError", message="<b>boom</b>"),
            LLMCall(provider="openai", endpoint="chat.completions", request={"model": "gpt-4o"}, status=500),
        ]
    )
    source = render_html_report(trace)
    source.encode("utf-8")  # lone surrogates and control characters were replaced
    page = Page(source)
    assert "nul\ufffd bell\ufffd lone surrogate \ufffd done" in page.text
    assert re.search(r"Cost\s*unknown", page.text) and "<b>boom</b>" in page.text
    assert len([a for a in page.having("details", "event") if "err" in a["class"].split()]) == 2
    assert re.search(r"Errors\s*2", page.text)
    empty = Page(render_html_report(Trace()))
    assert "No events were recorded." in empty.text and not empty.having("details")
    both_empty = Page(render_html_report(Trace(), compare=Trace()))
    assert "No changes" in both_empty.text
