"""The time-travel debugger behind `replay debug`: step through a recorded run, or two runs side by side.

Render-free and terminal-free at its core: `steps` (the stops of one run, or two runs aligned
as the diff aligns them, differing pairs marked), `session` (the position, moving and searching,
and what a typed command does). `render` draws a step with rich; the CLI reads keys.
"""

from __future__ import annotations

from trace_ops.debugger.session import HELP, KEYS, DebugSession, Reply
from trace_ops.debugger.steps import PairedStep, Step, paired_steps, search_text, steps_of

__all__ = [
    "HELP",
    "KEYS",
    "DebugSession",
    "PairedStep",
    "Reply",
    "Step",
    "paired_steps",
    "search_text",
    "steps_of",
]
