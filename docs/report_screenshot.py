"""Remake docs/report.png: the demo agent recorded against the fake server, its HTML report in
headless chromium, the first call and its tool expanded.

    .venv/bin/python docs/report_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import openai  # noqa: E402
from demo_agent import run_agent  # noqa: E402

from tests.reporters.browser import chromium_page, require_chromium  # noqa: E402
from trace_ops import Recorder  # noqa: E402
from trace_ops.reporters.html import generate_html_report  # noqa: E402
from trace_ops.testing import FakeLLMServer  # noqa: E402


def main() -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder, FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)
        with Recorder(save_to=Path(folder) / "agent.trace.yaml") as rec:
            run_agent(client, rec)
        page_path = generate_html_report(
            rec.trace, Path(folder) / "report.html", title="cassettes/agent.trace.yaml"
        )
        with chromium_page(require_chromium()) as page:
            page.open(page_path.as_uri())
            for selector in ("#e1 > summary", "#e2 > summary"):
                page.click(selector)
            page.evaluate("window.scrollTo(0, 0)")
            out = page.screenshot(ROOT / "docs" / "report.png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
