"""HTML report benchmark: the page of a 1,000-LLM-call run (and of two such runs compared).

    .venv/bin/python benchmarks/bench_report.py [--calls 1000] [--rounds 5] [--browser]

Rows (medians over rounds, fresh traces each round so views and prices are computed inside):
- single page: `render_html_report(trace)` vs the baseline `event_rows` + `trace_header` (the
  one-line-per-event listing `replay inspect` prints): the ratio is what writing out every
  event's prompt, answer and tool I/O costs on top of listing the events.
- compare page: `render_html_report(old, compare=new)` vs `diff_traces(old, new)` alone.
Both with `--history window` prompts (system + last 6 messages) and `full` (the whole
conversation resent on every call: the page shows only what is new, so it stays linear).
`--browser` also opens each page in headless chromium and prints the time to its load event.
Target: each page well under 5 s for 1,000 calls (and 2,000+ events).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_diff import build  # noqa: E402
from trace_ops.diff import diff_traces  # noqa: E402
from trace_ops.reporters.html import render_html_report  # noqa: E402
from trace_ops.reporters.outline import event_rows, trace_header  # noqa: E402
from trace_ops.trace import Trace  # noqa: E402

TARGET_S = 5.0


def _median(
    rounds: int, make: Callable[[], tuple[Trace, Trace]], run: Callable[[Trace, Trace], object]
) -> float:
    times = []
    for _ in range(rounds):
        old, new = make()
        start = time.perf_counter()
        run(old, new)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _load_time(html: str) -> float | None:
    from tests.reporters.browser import chromium_page, find_chromium

    executable = find_chromium()
    if executable is None:
        return None
    with tempfile.TemporaryDirectory() as folder, chromium_page(executable) as page:
        path = Path(folder) / "report.html"
        path.write_text(html, encoding="utf-8")
        start = time.perf_counter()
        page.open(path.as_uri())
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time each page's load in chromium")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for history in ("window", "full"):

        def make(history: str = history) -> tuple[Trace, Trace]:
            return build(args.calls, 1, False, history), build(args.calls, 1, True, history)

        def listing(old: Trace, new: Trace) -> object:
            return trace_header(old, event_rows(old))

        single = _median(args.rounds, make, lambda old, new: render_html_report(old))
        base = _median(args.rounds, make, listing)
        both = _median(args.rounds, make, lambda old, new: render_html_report(old, compare=new))
        diff = _median(args.rounds, make, lambda old, new: diff_traces(old, new))
        old, new = make()
        page, compared = render_html_report(old), render_html_report(old, compare=new)
        print(
            f"history={history}, {args.calls} LLM calls ({len(old.events)} events), medians of {args.rounds}:"
        )
        verdict = "PASS" if max(single, both) < TARGET_S else "MISS"
        print(
            f"  single page  {single:6.2f} s  {len(page) / 2**20:5.1f} MiB   listing {base:6.2f} s"
            f"   ratio {single / base:4.1f}x"
        )
        print(
            f"  compare page {both:6.2f} s  {len(compared) / 2**20:5.1f} MiB   diff    {diff:6.2f} s"
            f"   ratio {both / diff:4.1f}x   target < {TARGET_S:.0f} s: {verdict}"
        )
        if args.browser:
            loads = [_load_time(html) for html in (page, compared)]
            if loads[0] is None or loads[1] is None:
                print("  chromium not found: no load times")
            else:
                print(f"  chromium load event: single {loads[0]:.2f} s, compare {loads[1]:.2f} s")


if __name__ == "__main__":
    main()
