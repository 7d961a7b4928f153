"""Workload 6 of `compare.py`: a pytest suite of replayed tests, wall time per tool, in its own venv.

Each tool gets the same generated suite (N tests in modules of 100; each test makes one
`chat.completions.create` with its own prompt through a module-level openai 2.x client over
`httpx.MockTransport`) in two forms: `replay/`, written the way the tool's README says
(trace_ops and the reference: the `cassette` fixture; pytest-recording: `@pytest.mark.vcr`),
recorded once beforehand, and `floor/`, the same tests with no fixture or marker and the
tool's plugin disabled. In replay runs the MockTransport handler raises, so a test that is
not replayed fails, and a run only counts when every test passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.workloads.data import chat_completion, openai_request  # noqa: E402

PER_MODULE = 100


@dataclass(frozen=True)
class SuiteTool:
    name: str
    python: str
    plugin: str  # the pytest11 entry point name, for `-p no:<plugin>`
    fixture: bool  # the `cassette` fixture (else `@pytest.mark.vcr`)
    record_args: tuple[str, ...]
    replay_args: tuple[str, ...]
    pythonpath: str = ""  # trace_ops runs from the work tree


MODULE = """\
import json
import os
from pathlib import Path

import httpx
import openai
import pytest

PROMPTS = json.loads((Path(__file__).parent / "prompts.json").read_text())
BODY = (Path(__file__).parent / "answer.json").read_bytes()


def handler(request):
    if os.environ.get("BENCH_REPLAY") == "1":
        raise AssertionError("a replayed test reached the transport")
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


client = openai.OpenAI(
    api_key="sk-bench",
    base_url="http://bench.local/v1",
    http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    max_retries=0,
)
"""

TEST = """

{marker}def test_{i}({arg}):
    reply = client.chat.completions.create(**PROMPTS[{i}])
    assert reply.choices[0].message.content
"""


def write_suite(folder: Path, tests: int, tool: SuiteTool | None) -> None:
    """`tool=None` writes the floor form (no fixture, no marker)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompts.json").write_text(json.dumps([openai_request(i) for i in range(tests)]))
    body = chat_completion(0)
    body["choices"][0]["message"]["content"] = body["choices"][0]["message"]["content"] or "A tool call."
    (folder / "answer.json").write_text(json.dumps(body))
    (folder / "conftest.py").write_text("")
    for start in range(0, tests, PER_MODULE):
        parts = [MODULE]
        for i in range(start, min(tests, start + PER_MODULE)):
            marker = "@pytest.mark.vcr\n" if tool is not None and not tool.fixture else ""
            arg = "cassette" if tool is not None and tool.fixture else ""
            parts.append(TEST.format(i=i, marker=marker, arg=arg))
        (folder / f"test_suite_{start // PER_MODULE:02d}.py").write_text("".join(parts))


def pytest_run(tool: SuiteTool, folder: Path, args: tuple[str, ...], *, replay: bool, expect: int) -> float:
    python = tool.python
    env = {**os.environ, "BENCH_REPLAY": "1" if replay else "0", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CI", None)
    env.pop("PYTHONPATH", None)
    if tool.pythonpath:
        env["PYTHONPATH"] = tool.pythonpath
    env["PYTHONPYCACHEPREFIX"] = str(folder.parent / "pycache")
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args, str(folder)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    tail = done.stdout.strip().splitlines()[-1:] or [done.stderr.strip()[-200:]]
    if done.returncode != 0 or f"{expect} passed" not in done.stdout:
        raise RuntimeError(f"{' '.join(command[:4])} in {folder}: exit {done.returncode}: {tail[0]}")
    return seconds


def prepare(tool: SuiteTool, base: Path, tests: int) -> tuple[Path, Path]:
    """Generate both forms and record the replay form's cassettes (once)."""
    replay, floor = base / tool.name / "replay", base / tool.name / "floor"
    stamp = base / tool.name / f".recorded-{tests}"
    if not stamp.exists():
        write_suite(replay, tests, tool)
        write_suite(floor, tests, None)
        pytest_run(tool, replay, tool.record_args, replay=False, expect=tests)
        stamp.write_text("ok")
    return replay, floor


def run_round(tool: SuiteTool, replay: Path, floor: Path, tests: int, first: str) -> dict[str, float]:
    """One floor run and one replay run, in the order `first` says (rounds alternate it)."""
    out: dict[str, float] = {}
    order = ("floor", "replay") if first == "floor" else ("replay", "floor")
    for which in order:
        if which == "floor":
            out["floor"] = pytest_run(tool, floor, ("-p", f"no:{tool.plugin}"), replay=False, expect=tests)
        else:
            out["replay"] = pytest_run(tool, replay, tool.replay_args, replay=True, expect=tests)
    return out
