"""The demo behind `./dev demo`: record an agent live, replay it offline, show what changed.

1. starts the bundled fake LLM server on 127.0.0.1 (a real HTTP server, real OpenAI SDK);
2. records the agent in examples/demo_agent.py into a YAML cassette;
3. stops the server and replays the same agent from the cassette (zero requests served);
4. changes the agent's prompt: replay refuses with a field-by-field mismatch;
5. re-records the changed agent and prints the semantic diff (and a markdown PR report);
6. checks budgets (calls, tokens, loops) on the recorded trace;
7. writes the HTML report of the two runs compared (open it in a browser; works offline).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]  # trace_ops from this checkout, and demo_agent

import openai  # noqa: E402
from demo_agent import run_agent  # noqa: E402

from trace_ops import CassetteMismatchError, Recorder, Replayer, diff_traces, load_cassette  # noqa: E402
from trace_ops.assertions import assert_max_llm_calls, assert_no_loops, assert_tokens_under  # noqa: E402
from trace_ops.reporters.html import generate_html_report  # noqa: E402
from trace_ops.reporters.markdown import diff_to_markdown  # noqa: E402
from trace_ops.testing import FakeLLMServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(ROOT / "demo-output"), help="where the cassette is written")
    args = parser.parse_args()
    cassette = Path(args.out) / "cassettes" / "research_agent.yaml"

    server = FakeLLMServer().start()
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-demo-not-a-real-key", max_retries=0)
    print(f"fake LLM server on {server.url}")

    started = time.perf_counter()
    with Recorder(save_to=cassette) as rec:
        live_answer = run_agent(client, rec)
    record_ms = (time.perf_counter() - started) * 1000
    trace = rec.trace
    print(
        f"\n1. recorded {trace.total_llm_calls} LLM calls, {trace.total_tool_calls} tool calls, "
        f"{trace.total_tokens} tokens in {record_ms:.1f} ms -> {cassette}"
    )
    print("   trajectory: " + " → ".join(trace.trajectory))
    print(f"   answer: {live_answer!r}")

    served = server.request_count
    server.stop()
    started = time.perf_counter()
    with Replayer(cassette) as rep:
        replayed_answer = run_agent(client, rep)
    replay_ms = (time.perf_counter() - started) * 1000
    print(
        f"\n2. replayed offline in {replay_ms:.1f} ms: {rep.replayed_count} calls from the cassette, "
        f"{server.request_count - served} requests to the server"
    )
    print(f"   same answer: {replayed_answer == live_answer}")
    print("   same trajectory: " + str(rep.trace.trajectory == load_cassette(cassette).trajectory))

    print("\n3. the agent changes (another topic); replay refuses to guess:")
    try:
        with Replayer(cassette):
            run_agent(client, None, topic="Lyon")
    except CassetteMismatchError as exc:
        print("   " + str(exc).replace("\n", "\n   "))
    else:
        print("   unexpected: the changed agent replayed")
        return 1

    changed = cassette.with_name("research_agent_lyon.yaml")
    with FakeLLMServer() as second:
        client2 = openai.OpenAI(
            base_url=second.openai_base_url, api_key="sk-demo-not-a-real-key", max_retries=0
        )
        with Recorder(save_to=changed) as rec2:
            run_agent(client2, rec2, topic="Lyon", extra_check=True)
    diff = diff_traces(load_cassette(cassette), load_cassette(changed))
    report = Path(args.out) / "diff.md"
    report.write_text(diff_to_markdown(diff, title="research agent: Paris → Lyon"), encoding="utf-8")
    print(f"\n4. re-recorded the changed agent; the semantic diff (markdown for a PR: {report}):")
    print("   " + diff.summary().replace("\n", "\n   "))

    print("\n5. budgets on the recorded run:")
    cost = trace.total_cost_usd
    print(f"   cost ${cost:.6f}" if cost is not None else "   cost unknown")
    assert_max_llm_calls(trace, max_calls=6)
    assert_tokens_under(trace, max_tokens=5_000)
    assert_no_loops(trace, max_consecutive_same_tool=3)
    print("   within 6 LLM calls, 5,000 tokens, no tool loops: ok")
    try:
        assert_max_llm_calls(load_cassette(changed), max_calls=5)
    except AssertionError as exc:
        print("   the changed agent breaks a 5-call budget: " + str(exc).splitlines()[0])

    html = generate_html_report(
        load_cassette(cassette), Path(args.out) / "report.html", compare=load_cassette(changed)
    )
    print(f"\n6. the HTML report of both runs compared (self-contained, offline): {html}")

    ok = replayed_answer == live_answer and server.request_count == served and diff.has_changes
    print("\ndemo " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
