"""Where the debugger stands and what a typed command does to it, with no terminal involved.

`DebugSession` holds the stops (`Step`s of one run, or `PairedStep`s of two) and a position,
and `handle` turns one line the user typed into a `Reply`: show the (new) current step, show
the help, say something (`no match for 'x'`), or quit. The CLI only reads lines, renders
replies and stops on `quit`, so every key's behaviour is tested here without a pty too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from trace_ops.debugger.steps import PairedStep, Step, search_text

__all__ = ["HELP", "KEYS", "DebugSession", "Reply"]

S = TypeVar("S")

#: The keys, as the help and the README list them.
KEYS: tuple[tuple[str, str], ...] = (
    ("n / Enter", "next step"),
    ("p", "previous step"),
    ("g N", "go to step N"),
    ("f / l", "first / last step"),
    ("/text", "search forward for text (`/` alone repeats the last search)"),
    ("? / h", "this help"),
    ("q", "quit (so does Ctrl-D)"),
)
HELP = "\n".join(f"  {key:<10} {what}" for key, what in KEYS)
SHORT_HELP = "n/Enter next · p prev · g N go to N · /text search · f/l first/last · ? help · q quit"


@dataclass(frozen=True)
class Reply:
    """What to show after a command: `step` (the current one), `help`, `message` (`text`), `quit`."""

    action: str
    text: str = ""


def _step_text(step: object) -> str:
    if isinstance(step, Step):
        return search_text(step.event)
    if isinstance(step, PairedStep):
        return "\n".join(search_text(side.event) for side in (step.old, step.new) if side is not None)
    return str(step)


class DebugSession(Generic[S]):
    """The stops of a debugging session and the position among them (0-based; shown 1-based)."""

    def __init__(self, steps: Sequence[S], text_of: Callable[[S], str] = _step_text) -> None:
        self.steps: list[S] = list(steps)
        self.position = 0
        self._text_of: Callable[[S], str] = text_of
        self._texts: dict[int, str] = {}
        self._last_search = ""

    # ------------------------------------------------------------------ where we are

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def current(self) -> S:
        return self.steps[self.position]

    @property
    def number(self) -> int:
        """The current step, 1-based as shown (`#3/7`)."""
        return self.position + 1

    @property
    def where(self) -> str:
        return f"#{self.number}/{self.total}"

    # ------------------------------------------------------------------ moving

    def next(self) -> bool:
        """One step on; False (and no move) at the last step."""
        if self.position + 1 >= self.total:
            return False
        self.position += 1
        return True

    def prev(self) -> bool:
        if self.position == 0:
            return False
        self.position -= 1
        return True

    def first(self) -> None:
        self.position = 0

    def last(self) -> None:
        self.position = max(0, self.total - 1)

    def goto(self, number: int) -> bool:
        """To step `number` (1-based); False when there is no such step."""
        if not 1 <= number <= self.total:
            return False
        self.position = number - 1
        return True

    def search(self, text: str) -> bool:
        """To the next step after the current one whose text holds `text` (any case), wrapping round."""
        needle = text.casefold()
        for offset in range(1, self.total + 1):
            index = (self.position + offset) % self.total
            if needle in self._text(index):
                self.position = index
                return True
        return False

    def _text(self, index: int) -> str:
        text = self._texts.get(index)
        if text is None:
            text = self._texts[index] = self._text_of(self.steps[index]).casefold()
        return text

    # ------------------------------------------------------------------ commands

    def handle(self, line: str) -> Reply:
        """What one typed line does (see `KEYS`); anything else is answered, never fatal."""
        command = line.strip()
        if command in ("", "n"):
            return Reply("step") if self.next() else self._say(f"already at the last step ({self.where})")
        if command == "p":
            return Reply("step") if self.prev() else self._say(f"already at the first step ({self.where})")
        if command == "f":
            self.first()
            return Reply("step")
        if command == "l":
            self.last()
            return Reply("step")
        if command == "q":
            return Reply("quit")
        if command in ("?", "h", "help"):
            return Reply("help", HELP)
        if command.startswith("/"):
            return self._search(command[1:].strip())
        if command == "g" or command.startswith("g ") or (command[:1] == "g" and command[1:].isdigit()):
            return self._goto(command[1:].strip())
        return Reply("message", f"unknown command {command!r} (? shows the keys)")

    @staticmethod
    def _say(text: str) -> Reply:
        return Reply("message", text)

    def _goto(self, argument: str) -> Reply:
        if not argument.isdigit():
            return Reply("message", f"g needs a step number from 1 to {self.total}, e.g. `g 3`")
        if not self.goto(int(argument)):
            return Reply("message", f"no step {argument}: steps are 1 to {self.total}")
        return Reply("step")

    def _search(self, text: str) -> Reply:
        text = text or self._last_search
        if not text:
            return Reply("message", "type /text to search for text")
        self._last_search = text
        before = self.position
        if not self.search(text):
            return Reply("message", f"no step holds {text!r}")
        wrapped = " (from the top)" if self.position <= before else ""
        return Reply("step", f"found {text!r} at {self.where}{wrapped}")
