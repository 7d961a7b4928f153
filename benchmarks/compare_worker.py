"""One worker process of `compare.py`: one tool, in that tool's venv, timing one block per request.

    <venv>/bin/python benchmarks/compare_worker.py TOOL WORKDIR

It reads one JSON request per line on stdin and answers one JSON line on stdout:
`{"op": "prepare", "workload": W, "n": N}` records what workload W replays (each tool its own
cassettes, through its own recorder, from the same prompts and answers), and
`{"op": "run", "workload": W, "n": N}` times one block and answers `{"seconds": s, ...}`
(seconds per unit), or `{"unsupported": why}`. The workloads use the openai 2.x SDK over an
`httpx.MockTransport` (VCR.py patches httpx, not httpx2). Only the standard library, openai,
httpx and the tool itself are imported: this file runs in every competitor's venv.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The prompts and answers of `./dev bench`; the repository root leaves sys.path again before a
# tool is imported, so the reference's `trace_ops` is never shadowed by ours.
sys.path.insert(0, str(HERE.parent))
from benchmarks.workloads.data import chat_completion, openai_request, sse_parts  # noqa: E402

sys.path.remove(str(HERE.parent))
sys.path.insert(0, str(HERE))
import compare_tools  # noqa: E402
import httpx  # noqa: E402
import openai  # noqa: E402

Prompt = dict[str, Any]


def changed_completion(i: int) -> dict[str, Any]:
    """The answer to prompt i in the 'every answer changed' run: another text, same shape."""
    body = chat_completion(i + 7_000_000)
    body["id"] = f"chatcmpl-B{i:010d}"
    if body["choices"][0]["message"].get("content") is None and i % 3 != 2:
        body["choices"][0]["message"]["content"] = "changed"
    return body


class Answers:
    """The MockTransport handler: answer k (in call order) to the k-th request."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.streams: list[list[bytes]] = []
        self.k = 0

    def set_plain(self, n: int, changed: bool = False) -> None:
        make = changed_completion if changed else chat_completion
        self.bodies, self.streams, self.k = [json.dumps(make(i)).encode() for i in range(n)], [], 0

    def set_stream(self, n: int) -> None:
        self.bodies, self.streams, self.k = [], [sse_parts(i) for i in range(n)], 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        k, self.k = self.k, self.k + 1
        if self.streams:
            # an iterator body: chunks arrive one at a time, as from a socket
            parts = self.streams[k % len(self.streams)]
            return httpx.Response(200, content=iter(parts), headers={"content-type": "text/event-stream"})
        body = self.bodies[k % len(self.bodies)]
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


class Worker:
    def __init__(self, tool: str, workdir: Path) -> None:
        self.tool = compare_tools.make(tool)
        self.dir = workdir / tool
        self.dir.mkdir(parents=True, exist_ok=True)
        self.answers = Answers()
        self.client = openai.OpenAI(
            api_key="sk-bench",
            base_url="http://bench.local/v1",
            http_client=httpx.Client(transport=httpx.MockTransport(self.answers)),
            max_retries=0,
        )
        self.loaded: dict[str, Any] = {}

    # -- calls ---------------------------------------------------------------------------
    def call(self, prompt: Prompt) -> None:
        result = self.client.chat.completions.create(**prompt)
        if not getattr(result, "id", "").startswith("chatcmpl-"):
            raise RuntimeError(f"{self.tool.name}: unexpected answer {type(result).__name__}")

    def stream(self, prompt: Prompt) -> float:
        """Consume one streamed answer; return the seconds to its first chunk."""
        start = time.perf_counter()
        first = 0.0
        count = 0
        for _chunk in self.client.chat.completions.create(**prompt):
            if not count:
                first = time.perf_counter() - start
            count += 1
        if count < 30:
            raise RuntimeError(f"{self.tool.name}: {count} chunks replayed, expected 33")
        return first

    def path(self, name: str) -> str:
        return str(self.dir / f"{name}.yaml")

    def record_file(self, name: str, n: int, *, stream: bool = False, changed: bool = False) -> str:
        path = self.path(name)
        if stream:
            self.answers.set_stream(n)
        else:
            self.answers.set_plain(n, changed)
        with self.tool.record(path):
            for i in range(n):
                if stream:
                    self.stream(openai_request(i, stream=True))
                else:
                    self.call(openai_request(i))
        if not os.path.exists(path):
            raise compare_tools.Unsupported("recording wrote no cassette")
        return path

    # -- prepare -------------------------------------------------------------------------
    def prepare(self, workload: str, n: int) -> dict[str, Any]:
        if self.tool.name == "floor":
            if workload.startswith(("load_", "save_", "diff_")):
                raise compare_tools.Unsupported("-")
            return {}
        if workload == "per_test":
            self.answers.set_plain(n)
            for i in range(n):
                with self.tool.record(self.path(f"one_{i}")):
                    self.call(openai_request(i))
            return {}
        if workload in ("replay_plain", "replay_stream"):
            stream = workload == "replay_stream"
            path = self.record_file(workload, n, stream=stream)
            return {"bytes": os.path.getsize(path)}
        if workload.endswith("_cached") and self.tool.name != "trace_ops":
            raise compare_tools.Unsupported("n/a: no parse cache")
        if workload.startswith(("load_", "save_")):
            path = self.path(f"big_{n}")  # load_N, load_N_cached and save_N share it
            if not os.path.exists(path):
                self.record_file(f"big_{n}", n)
            self.loaded[workload] = self.tool.load(path)
            return {"bytes": os.path.getsize(path)}
        if workload.startswith("diff_"):
            self.record_file("diff_a", n)
            self.record_file("diff_same", n)
            self.record_file("diff_changed", n, changed=True)
            return {}
        return {}

    # -- run -----------------------------------------------------------------------------
    def run(self, workload: str, n: int) -> dict[str, Any]:
        tool = self.tool
        if workload == "per_test":
            self.answers.set_plain(n)
            start = time.perf_counter()
            for i in range(n):
                with tool.replay(self.path(f"one_{i}")):
                    self.call(openai_request(i))
            return {"seconds": (time.perf_counter() - start) / n}
        if workload in ("replay_plain", "replay_stream", "record_plain", "record_stream"):
            return self.run_calls(workload, n)
        if workload.startswith("load_"):
            if not workload.endswith("_cached"):
                os.environ["TRACE_OPS_CACHE_DIR"] = "off"  # the first load of these bytes
            else:
                os.environ["TRACE_OPS_CACHE_DIR"] = str(self.dir / "parse-cache")
                tool.load(self.path(f"big_{n}"))  # a cached load is the second load of these bytes
            try:
                return {"seconds": timed(lambda: tool.load(self.path(f"big_{n}")))}
            finally:
                os.environ["TRACE_OPS_CACHE_DIR"] = "off"
        if workload.startswith("save_"):
            out = self.path(f"saved_{n}")
            seconds = timed(lambda: tool.save(self.loaded[workload], out))
            return {"seconds": seconds, "bytes": os.path.getsize(out)}
        if workload.startswith("diff_"):
            other = "diff_same" if workload == "diff_same" else "diff_changed"
            old, new = tool.load(self.path("diff_a")), tool.load(self.path(other))
            return {"seconds": timed(lambda: tool.diff(old, new))}
        raise ValueError(f"unknown workload {workload!r}")

    def run_calls(self, workload: str, n: int) -> dict[str, Any]:
        stream = workload.endswith("stream")
        prompts = [openai_request(i, stream=stream) for i in range(n)]
        if stream:
            self.answers.set_stream(n)
        else:
            self.answers.set_plain(n)
        context = (
            self.tool.replay(self.path(workload)) if workload.startswith("replay") else self.tool.record(None)
        )
        firsts: list[float] = []
        with context:  # entered (the cassette loaded) before the clock starts
            start = time.perf_counter()
            if stream:
                firsts = [self.stream(p) for p in prompts]
            else:
                for p in prompts:
                    self.call(p)
            seconds = (time.perf_counter() - start) / n
        out: dict[str, Any] = {"seconds": seconds}
        if firsts:
            out["first_chunk_s"] = statistics.median(firsts)
        return out


def timed(block: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    block()
    return time.perf_counter() - start


def main() -> int:
    tool, workdir = sys.argv[1], Path(sys.argv[2])
    os.environ.setdefault("TRACE_OPS_CACHE_DIR", "off")
    worker = Worker(tool, workdir)
    print(json.dumps({"ready": True, "version": worker.tool.version()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            method = worker.prepare if request["op"] == "prepare" else worker.run
            answer = method(request["workload"], int(request["n"]))
        except compare_tools.Unsupported as exc:
            answer = {"unsupported": str(exc)}
        except Exception as exc:  # a competitor that crashes: the table names the error
            last = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(last.filename).name}:{last.lineno}"
            answer = {"unsupported": f"crashes: {type(exc).__name__}: {str(exc)[:80]} ({where})"}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
