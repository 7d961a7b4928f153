"""`replay debug CASSETTE [--compare OTHER] [--tools-only]`: step through a recorded run.

A thin loop over `trace_ops.debugger`: read a line, let the session handle it, draw the reply.
Without a terminal (stdin or stdout not a tty) it prints every step in order and exits 0, so
`replay debug run.yaml | less` and CI logs read the whole run.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table

from trace_ops.cli._shell import EXIT_OK, make_console, read_trace

DESCRIPTION = (
    "Step through a recorded run: each step's prompt, answer or tool calls, tokens, cost and latency; "
    "with --compare, two runs aligned step by step with the differing steps marked. Keys: n or Enter "
    "next, p previous, g N go to step N, /text search, f/l first/last, ? help, q quit. Without a "
    "terminal every step is printed in order."
)
EXAMPLE = "replay debug cassettes/v1.yaml --compare cassettes/v2.yaml --tools-only"
PROMPT = "(debug {where}) "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", help="the cassette to step through")
    parser.add_argument(
        "--compare", metavar="OTHER", help="a second cassette: step through both runs aligned"
    )
    parser.add_argument("--tools-only", action="store_true", help="stop at tool calls only")


def run(args: argparse.Namespace) -> int:
    from trace_ops.cost import PriceWarning
    from trace_ops.debugger import DebugSession, paired_steps, steps_of
    from trace_ops.debugger.render import keys_line, render_header, render_pair, render_step

    warnings.simplefilter("ignore", PriceWarning)  # a cost we cannot price reads `unknown` on screen
    trace = read_trace(args.cassette)
    console = make_console()
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    draw: Callable[[Any, str], RenderableType]
    if args.compare is None:
        session: DebugSession[Any] = DebugSession(steps_of(trace, tools_only=args.tools_only))
        header: RenderableType = render_header(trace, keys=interactive)
        draw = render_step
    else:
        other = read_trace(args.compare)
        session = DebugSession(paired_steps(trace, other, tools_only=args.tools_only))
        both = Table.grid(padding=(0, 1))
        both.add_row(
            render_header(trace, f"old: {args.cassette}", keys=False),
            render_header(other, f"new: {args.compare}", keys=False),
        )
        header = Group(both, keys_line()) if interactive else both
        draw = render_pair
    console.print(header)
    if not session.total:
        console.print("no tool calls in this run" if args.tools_only else "no steps in this run")
        return EXIT_OK
    if not interactive:
        for _ in range(session.total):
            console.print()
            console.print(draw(session.current, session.where))
            session.next()
        return EXIT_OK
    return _loop(console, session, draw)


def _loop(console: Console, session: Any, draw: Callable[[Any, str], RenderableType]) -> int:
    """The interactive loop: show the step, prompt, handle one line; EOF (Ctrl-D) quits like `q`."""
    console.print()
    console.print(draw(session.current, session.where))
    while True:
        sys.stdout.write(PROMPT.format(where=session.where))
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:  # end of input
            sys.stdout.write("\n")
            return EXIT_OK
        reply = session.handle(line)
        if reply.action == "quit":
            return EXIT_OK
        if reply.text:
            console.print(reply.text, markup=False, style="dim" if reply.action != "message" else "yellow")
        if reply.action == "step":
            console.print()
            console.print(draw(session.current, session.where))
