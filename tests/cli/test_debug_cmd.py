"""`replay debug` as a user runs it: the installed command in a real pseudo-terminal, keys typed,
the screen read back; and without a terminal, as a plain child process.

The pty is the standard library's (`pty.openpty`); every read is bounded by a deadline, so a
debugger that hangs fails the test with the screen so far instead of stalling the suite.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.agents import record_agent, record_failing_call
from tests.cli.conftest import VCR_CASSETTE
from tests.cli.test_debug_model import record_research
from trace_ops.testing import FakeLLMServer

TIMEOUT_S = 20.0
ENV = {"NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "100", "LINES": "50", "TRACE_OPS_DEBUG": "1"}


def replay_command() -> list[str]:
    script = Path(sys.executable).parent / "replay"
    return [str(script)] if script.exists() else [shutil.which("replay") or "replay"]


class Terminal:
    """`replay ARGS` on a 100x50 pseudo-terminal: `expect` reads until a text shows, `type` sends a line."""

    def __init__(self, *args: str, colour: bool = False) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 100, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | ENV
        if colour:
            env.pop("NO_COLOR")
        self.process = subprocess.Popen(
            [*replay_command(), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.screen = ""  # everything shown so far
        self.seen = 0  # how much of it `expect` has consumed

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            raise EOFError
        self.screen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, text: str) -> str:
        """The screen from the last match up to and including `text` (which must appear in time)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            found = self.screen.find(text, self.seen)
            if found >= 0:
                shown = self.screen[self.seen : found + len(text)]
                self.seen = found + len(text)
                return shown
            try:
                if not self._read(deadline) and time.monotonic() >= deadline:
                    raise AssertionError(
                        f"{text!r} did not appear; the screen after the last match:\n"
                        f"{self.screen[self.seen :]}"
                    )
            except EOFError:
                raise AssertionError(
                    f"replay exited before {text!r}; screen:\n{self.screen[self.seen :]}"
                ) from None

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def send(self, raw: bytes) -> None:
        os.write(self.master, raw)

    def exit_code(self) -> int:
        """Wait (bounded) for the debugger to end, reading what it still prints."""
        deadline = time.monotonic() + TIMEOUT_S
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                self._read(min(deadline, time.monotonic() + 0.2))
            except EOFError:
                break
        return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        os.close(self.master)


@pytest.fixture(scope="module")
def cassettes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("debug-cmd")
    with FakeLLMServer() as server:
        return {
            "agent": record_agent(server, folder / "agent.yaml"),
            "v1": record_research(server, folder / "v1.yaml"),
            "v2": record_research(server, folder / "v2.yaml", "Paris has 2.2 million inhabitants."),
        }


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def start(terminals: list[Terminal], *args: str, colour: bool = False) -> Terminal:
    terminal = Terminal("debug", *args, colour=colour)
    terminals.append(terminal)
    return terminal


def test_keys_move_through_the_run(cassettes: dict[str, Path], terminals: list[Terminal]) -> None:
    term = start(terminals, str(cassettes["agent"]))
    first = term.expect("(debug #1/4) ")
    assert "Events: 4 (3 LLM calls, 1 tool call)" in first and "g N go to N · /text search" in first
    assert "LLM call  #1/4  provider=openai  model=gpt-4o-mini" in first
    assert "user: capital of France" in first and "Tool call requested: search" in first
    assert re.search(r"tokens \d+ in / \d+ out, cost \$[\d.]+, latency \d+ ms", first)
    term.type("")  # Enter
    second = term.expect("(debug #2/4) ")
    assert "Tool call  #2/4  search  12 ms" in second
    assert "Tool input" in second and '"query": "capital of France"' in second
    assert "Tool output" in second and "capital of France is Paris" in second
    term.type("n")
    assert "LLM call  #3/4" in term.expect("(debug #3/4) ")
    term.type("p")
    assert "Tool call  #2/4" in term.expect("(debug #2/4) ")
    term.type("l")
    last = term.expect("(debug #4/4) ")
    assert "provider=anthropic  model=claude-3-5-haiku-latest" in last and "Echo: sum up" in last
    term.type("n")
    assert "already at the last step (#4/4)" in term.expect("(debug #4/4) ")
    term.type("f")
    assert "LLM call  #1/4" in term.expect("(debug #1/4) ")
    term.type("g 3")
    third = term.expect("(debug #3/4) ")
    assert "LLM call  #3/4" in third and "Prompt (last 3 of 4 messages)" in third
    assert 'assistant: calls search({"query": "capital of France"})' in third
    term.type("g 7")
    assert "no step 7: steps are 1 to 4" in term.expect("(debug #3/4) ")
    term.type("zz")
    assert "unknown command 'zz' (? shows the keys)" in term.expect("(debug #3/4) ")
    term.type("?")
    shown = term.expect("(debug #3/4) ")
    assert "  n / Enter  next step\n" in shown and "  /text      search forward" in shown
    term.type("q")
    assert term.exit_code() == 0


def test_search_finds_the_next_step_holding_the_text(
    cassettes: dict[str, Path], terminals: list[Terminal]
) -> None:
    term = start(terminals, str(cassettes["v1"]))
    term.expect("(debug #1/4) ")
    term.type("/2.1 MILLION")
    hit = term.expect("(debug #2/4) ")
    assert "found '2.1 MILLION' at #2/4" in hit and "Tool call  #2/4  search" in hit
    term.type("/")  # again, from here
    assert "found '2.1 MILLION' at #3/4" in term.expect("(debug #3/4) ")
    term.type("/")
    assert "at #2/4 (from the top)" in term.expect("(debug #2/4) ")
    term.type("/Marseille")
    assert "no step holds 'Marseille'" in term.expect("(debug #2/4) ")
    term.type("q")
    assert term.exit_code() == 0


def test_tools_only_stops_at_tool_calls_alone(cassettes: dict[str, Path], terminals: list[Terminal]) -> None:
    term = start(terminals, str(cassettes["agent"]), "--tools-only")
    shown = term.expect("(debug #1/1) ")
    assert "Tool call  #1/1  search" in shown and "LLM call  #" not in shown
    term.type("n")
    assert "already at the last step (#1/1)" in term.expect("(debug #1/1) ")
    term.type("q")
    assert term.exit_code() == 0
    assert "LLM call  #" not in term.screen


def test_compare_marks_the_changed_step(cassettes: dict[str, Path], terminals: list[Terminal]) -> None:
    term = start(terminals, str(cassettes["v1"]), "--compare", str(cassettes["v2"]))
    first = term.expect("(debug #1/4) ")
    assert "old: " in first and "new: " in first and "Step #1/4  same" in first
    term.type("")
    second = term.expect("(debug #2/4) ")
    assert "Step #2/4  CHANGED: tool output" in second
    assert "Tool call  old #2  search" in second and "Tool call  new #2  search" in second
    assert "Paris has 2.1 million" in second and "Paris has 2.2 million" in second
    term.type("g 4")
    assert "Step #4/4  same" in term.expect("(debug #4/4) ")
    term.type("q")
    assert term.exit_code() == 0
    assert "\x1b[" not in term.screen  # NO_COLOR: the marks are words, not colours


def test_on_a_colour_terminal_the_marks_are_coloured_too(
    cassettes: dict[str, Path], terminals: list[Terminal]
) -> None:
    term = start(terminals, str(cassettes["v1"]), "--compare", str(cassettes["v2"]), colour=True)
    term.expect("(debug #1/4) ")
    term.type("n")
    assert re.search(r"\x1b\[[0-9;]*33m[^\x1b]*CHANGED", term.expect("(debug #2/4) "))  # yellow
    term.type("q")
    assert term.exit_code() == 0


def test_end_of_input_quits_cleanly(cassettes: dict[str, Path], terminals: list[Terminal]) -> None:
    term = start(terminals, str(cassettes["agent"]))
    term.expect("(debug #1/4) ")
    term.send(b"\x04")  # Ctrl-D on an empty line: the terminal's end of input
    assert term.exit_code() == 0
    assert "Traceback" not in term.screen


def test_a_bad_cassette_is_one_line_on_the_terminal_too(tmp_path: Path, terminals: list[Terminal]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("events: [\n")
    term = start(terminals, str(bad))
    assert term.exit_code() == 2
    lines = [line for line in term.screen.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"replay debug: {bad}")


# --------------------------------------------------------------------------- without a terminal


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [*replay_command(), "debug", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_without_a_terminal_every_step_is_printed_in_order(cassettes: dict[str, Path]) -> None:
    result = replay(str(cassettes["agent"]))
    assert (result.returncode, result.stderr) == (0, "")
    titles = re.findall(r"^(LLM call|Tool call)  #(\d)/4", result.stdout, flags=re.M)
    assert titles == [("LLM call", "1"), ("Tool call", "2"), ("LLM call", "3"), ("LLM call", "4")]
    assert "(debug " not in result.stdout and "n/Enter" not in result.stdout  # nothing waits for keys
    assert "Echo: sum up: capital of France" in result.stdout


def test_without_a_terminal_compare_and_tools_only_print_their_steps(cassettes: dict[str, Path]) -> None:
    result = replay(str(cassettes["v1"]), "--compare", str(cassettes["v2"]))
    assert result.returncode == 0
    marks = re.findall(r"^Step #(\d)/4  (\w+)", result.stdout, flags=re.M)
    assert marks == [("1", "same"), ("2", "CHANGED"), ("3", "CHANGED"), ("4", "same")]
    tools = replay(str(cassettes["v1"]), "--tools-only")
    assert tools.returncode == 0 and re.findall(r"^(\w+ call)  #", tools.stdout, flags=re.M) == ["Tool call"]


def test_tools_only_on_a_run_without_tools_says_so(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    result = replay(str(record_failing_call(fake_llm, tmp_path / "failed.yaml")), "--tools-only")
    assert result.returncode == 0 and result.stdout.rstrip().endswith("no tool calls in this run")


@pytest.mark.parametrize(
    "problem", ["missing", "not yaml", "binary", "foreign", "a folder", "compare missing"]
)
def test_unreadable_input_is_exit_2_with_one_line(
    cassettes: dict[str, Path], tmp_path: Path, problem: str
) -> None:
    bad = tmp_path / "bad.yaml"
    text = {"binary": "\x00\x01 not yaml", "foreign": VCR_CASSETTE}.get(problem, "version: 1\nevents: {\n")
    bad.write_text(text)
    args = {
        "missing": [str(tmp_path / "nope.yaml")],
        "a folder": [str(tmp_path)],
        "compare missing": [str(cassettes["v1"]), "--compare", str(tmp_path / "nope.yaml")],
    }.get(problem, [str(bad)])
    result = replay(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"replay debug: {tmp_path}"), result.stderr
    assert "Traceback" not in result.stderr
