"""The markdown diff (PR comments) with hostile recorded content, rendered by a real CommonMark
parser (markdown-it-py, with tables and raw HTML on, as GitHub allows): recorded text never adds
a tag, a link, a table cell, a heading, a `<details>` section or a code block, never closes a
fence early, and hidden characters are shown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from tests.diff.traces import chat, tool
from trace_ops.diff import diff_traces
from trace_ops.reporters.markdown import diff_to_markdown
from trace_ops.trace import ErrorEvent, Trace

ATTACKS = {
    "html": '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="http://evil">x</a>',
    "details": "</code></pre></summary></details><details open><summary>forged</summary>\n\nsecret",
    "fence": "```\n# escaped the fence\n````\n~~~\n" + "`" * 12 + "\n<b>bold</b>",
    "table": "| a | b |\n|---|---|\n| c | d |",
    "markdown": "[click](http://evil.example) ![img](http://x/y.png) **bold** _it_ ~~s~~ <http://x>",
    "blocks": "\n\n# Heading\n\n> quote\n\n- item\n1. item\n---\n    indented code",
    "autolinks": "https://evil.example www.evil.example user@example.com @octocat #1 GH-1",
    "html entities": "&lt;script&gt; &amp;amp; &#60;b&#62;",
    "blank lines": "a\r\n\r\nb\r\rc\u2028d\u2029e\x0bf\x0cg\x85h",
    "bidi": "access = \u202e'user'\u2066 if admin\u2069 \u200b\ufeff",
    "nul": "a\x00b",
}

ALLOWED_TAGS = {"h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "details"}
ALLOWED_TAGS |= {"summary", "pre", "code"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += any(name in ("href", "src") for name, _ in attrs)


def hostile_diff(text: str) -> str:
    old = Trace(events=[chat(prompt="hi"), tool("search", {"q": "a"}), chat(text="Paris")])
    new = Trace(
        events=[
            chat(
                text,
                prompt=[{"role": text, "content": f"hi {text}"}],
                tool_calls=[(f"search{text}", {"q": text})],
            ),
            tool(f"browse{text}", {text: text}, text),
            tool("search", {"q": text}, error=text),
            ErrorEvent(error_type=text, message=text),
            chat(text=f"Paris {text}"),
        ]
    )
    return diff_to_markdown(diff_traces(old, new), title=text)


def render(md: str) -> Tags:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(md)
    tags = Tags()
    tags.feed(html)
    return tags


@pytest.mark.parametrize("attack", ATTACKS)
def test_recorded_text_adds_no_markup(attack: str) -> None:
    benign, hostile = hostile_diff("x"), hostile_diff(ATTACKS[attack])
    seen, expected = render(hostile), render(benign)
    assert set(seen.tags) <= ALLOWED_TAGS, set(seen.tags) - ALLOWED_TAGS
    # the same structure as with harmless text: no extra cell, row, heading, item, section or block
    assert sorted(seen.tags) == sorted(expected.tags)
    assert seen.links == 0
    outside_code = re.sub(r"(`{3,})[^\n]*\n.*?\n\1\n", "", hostile, flags=re.S)
    assert "://" not in outside_code and "www." not in outside_code.lower() and "@" not in outside_code


@pytest.mark.parametrize("attack", ["bidi", "nul", "blank lines"])
def test_hidden_characters_are_shown(attack: str) -> None:
    md = hostile_diff(ATTACKS[attack])
    assert not re.search("[\x00\r\x0b\x0c\x85\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]", md)
    assert "U+" in md


def test_fences_hold_the_recorded_text() -> None:
    md = hostile_diff(ATTACKS["fence"])
    blocks = re.findall(r"^(`{3,})diff\n(.*?)\n\1$", md, flags=re.S | re.M)
    assert blocks and all(len(fence) > 12 for fence, _ in blocks)
    assert any("# escaped the fence" in body for _, body in blocks)  # verbatim inside the block
    assert md.count("<details>") == md.count("</details>") == len(blocks)
