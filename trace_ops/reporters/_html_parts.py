"""The pieces of the HTML report both views share: escaping, one event as a `<details>`, the
trajectory, a stats card.

Every recorded string goes through `esc` (element text and attribute values alike): a prompt
or an answer holding `<script>`, `</details>` or `" onerror=` reads as that text and can neither
run nor close an element. Characters a page may not carry (NUL, other C0 controls, lone
surrogates) become U+FFFD, so the file always encodes as UTF-8.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trace_ops.matching import CONVERSATION_KEYS, SYSTEM_KEYS
from trace_ops.reporters.outline import EventRow, event_details, row_cells
from trace_ops.trace import Event, LLMCall

__all__ = ["EventWriter", "card", "esc", "trajectory"]

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_PROMPT = "Prompt message"
#: A prompt repeating more than this of the previous call's prompt shows only what is new.
_SHARED_MESSAGES = 4
_SHARED_CHARS = 2_000
#: Trajectory steps listed before the rest is summed up in one line.
_PATH_STEPS = 400

_SECTION_CLASSES = (
    (_PROMPT, "s-prompt"),
    ("Answer", "s-answer"),
    ("Tool call requested", "s-request"),
    ("Tool input", "s-tool-in"),
    ("Tool output", "s-tool-out"),
    ("Tool error", "s-error"),
    ("Error", "s-error"),
    ("Figures", "s-meta"),
    ("Request", "s-meta"),
)


def esc(text: object) -> str:
    """Text made inert in HTML, for element content and quoted attribute values."""
    return html.escape(_UNSAFE.sub("\ufffd", str(text)), quote=True)


def _section_class(title: str) -> str:
    return next((css for prefix, css in _SECTION_CLASSES if title.startswith(prefix)), "s-other")


def card(key: str, value: str, sub: str = "", *, small: bool = False, bad: bool = False) -> str:
    """One cell of the stats grid (all arguments are escaped here)."""
    classes = "card bad" if bad else "card"
    value_class = "v small" if small else "v"
    sub_html = f'<div class="s">{esc(sub)}</div>' if sub else ""
    return (
        f'<div class="{classes}"><div class="k">{esc(key)}</div>'
        f'<div class="{value_class}">{esc(value)}</div>{sub_html}</div>'
    )


def trajectory(rows: Sequence[EventRow], prefix: str, edits: Mapping[int, str] | None = None) -> str:
    """The run as a path of step labels, each a link to its event; `edits` marks steps by index
    (`inserted`, `removed`, `changed`: the diff's trajectory edits)."""
    items = []
    for row in rows[:_PATH_STEPS]:
        err = " err" if row.error is not None else ""
        edit = f" edit-{edits[row.index]}" if edits and row.index in edits else ""
        items.append(
            f'<li><a class="step k-{esc(row.kind)}{err}{edit}" href="#{prefix}{row.number}" '
            f'title="#{row.number}">{esc(row.label)}</a></li>'
        )
    if len(rows) > _PATH_STEPS:
        items.append(f'<li class="more">… and {len(rows) - _PATH_STEPS:,} more steps</li>')
    return f'<ol class="path">{"".join(items)}</ol>'


class EventWriter:
    """Renders the events of one trace in order, as `<details>` elements with ids `<prefix><n>`.

    Agents resend the whole conversation on each call, so prompts grow with the run and a
    1,000-call trace would repeat them a million times: when a call's prompt starts with a long
    run of the previous call's messages (its system prompt included), only the new messages are
    described and shown, with a link to that call. That keeps the page, and the time to make it,
    linear in the run.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._last: _Prompt | None = None

    def event(self, row: EventRow, event: Event, *, compact: bool = False) -> str:
        cells = row_cells(row)
        if cells["tokens"] != "-":
            cells["tokens"] += " tok"
        err = row.error is not None
        classes = f"event k-{esc(row.kind)}{' err' if err else ''}"
        figures = "".join(
            f'<span class="fig{" x" if compact and name != "latency" else ""}">{esc(cells[name])}</span>'
            for name in ("tokens", "cost", "latency")
        )
        head = (
            f'<summary><span class="n">#{row.number}</span><span class="lbl">{esc(row.label)}</span>'
            f'<span class="sum">{esc(row.summary)}</span>{figures}</summary>'
        )
        body = "".join(self._sections(row, event))
        ident = f"{self.prefix}{row.number}"
        return f'<details class="{classes}" id="{ident}">{head}<div class="body">{body}</div></details>'

    def _sections(self, row: EventRow, event: Event) -> list[str]:
        out = []
        shared = 0
        note = ""
        if isinstance(event, LLMCall):
            prompt = _Prompt.of(event, row.number)
            if prompt is not None:
                last, self._last = self._last, prompt
                shared = prompt.shared_with(last) if last is not None else 0
                if shared:
                    assert last is not None
                    event = prompt.without_first(event, shared)
                    link = f'<a href="#{self.prefix}{last.number}">#{last.number}</a>'
                    note = f'<p class="same">Prompt messages 1\u2013{shared}: as in {link}</p>'
        for section in event_details(event):
            title = section.title
            if note and title != "Request":  # where the first prompt message would have been
                out.append(note)
                note = ""
            if shared and title.startswith(_PROMPT):
                title = _NUMBER.sub(lambda m: str(int(m[0]) + shared), title, count=1)
            out.append(
                f'<div class="sec {_section_class(title)}"><h4>{esc(title)}</h4>'
                f"<pre>{esc(section.text)}</pre></div>"
            )
        return out


_NUMBER = re.compile(r"(?<=^Prompt message )\d+")


@dataclass(frozen=True)
class _Prompt:
    """A call's prompt as the outline numbers it: system texts first, then the conversation."""

    number: int
    system: tuple[tuple[str, Any], ...]
    key: str | None
    conversation: list[Any]

    @classmethod
    def of(cls, call: LLMCall, number: int) -> _Prompt | None:
        request = call.request
        if not isinstance(request, dict):
            return None
        system = tuple((k, request[k]) for k in SYSTEM_KEYS if request.get(k))
        key = next((k for k in CONVERSATION_KEYS if request.get(k) is not None), None)
        value = request.get(key) if key is not None else None
        conversation = value if isinstance(value, list) else ([] if value is None else [value])
        return cls(number, system, key, conversation)

    def shared_with(self, before: _Prompt) -> int:
        """How many leading messages to leave out: all the system texts and the conversation
        prefix both calls share, when that is long enough to be worth a link (else 0)."""
        if self.system != before.system or self.key != before.key or not self.conversation:
            return 0
        same = 0
        for a, b in zip(before.conversation, self.conversation, strict=False):
            if a is not b and a != b:
                break
            same += 1
        shared = len(self.system) + same
        if shared >= _SHARED_MESSAGES or _long(self.system, self.conversation[:same]):
            return shared
        return 0

    def without_first(self, call: LLMCall, shared: int) -> LLMCall:
        """A copy of `call` whose request lacks the first `shared` prompt messages."""
        request = dict(call.request)
        for key, _ in self.system:
            del request[key]
        if self.key is not None:
            request[self.key] = self.conversation[shared - len(self.system) :]
        call.view  # noqa: B018  (parsed once, shared by the copy)
        trimmed = copy.copy(call)
        trimmed.request = request
        return trimmed


def _long(system: tuple[tuple[str, Any], ...], messages: list[Any]) -> bool:
    """The shared part holds at least `_SHARED_CHARS` characters (counting stops there)."""
    total = 0
    for value in [v for _, v in system] + messages:
        total += len(value if isinstance(value, str) else str(value))
        if total >= _SHARED_CHARS:
            return True
    return False
