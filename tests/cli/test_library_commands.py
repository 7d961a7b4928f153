"""`ls`, `stats`, `prune` and `validate` end to end, as subprocesses, on cassettes recorded live."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openai
import pytest

from tests.cli.test_cli import replay
from trace_ops import Recorder, load_cassette, save_cassette
from trace_ops.testing import FakeLLMServer

AGENT = Path("cassettes") / "test_agent"
GONE = Path("cassettes") / "test_gone" / "test_x.trace.yaml"
NAMES = ["test_agent/test_rate_limit", "test_agent/test_search", "test_agent/test_weather"]


def _names(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()[1:]]


def test_ls_lists_one_line_per_cassette_sorted(recorded: Path) -> None:
    result = replay("ls", str(recorded / "cassettes"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["cassette", "calls", "tools", "tokens", "cost", "age", "size"]
    assert _names(result.stdout) == NAMES
    search = lines[2].split()
    assert search[:3] == ["test_agent/test_search", "3", "1"] and search[4].startswith("$0.0000")
    assert lines[1].endswith("2 errors")  # the rate-limited call and the error the agent raised
    by_cost = replay("ls", str(recorded / "cassettes"), "--sort", "cost").stdout
    assert _names(by_cost) == NAMES[1:] + NAMES[:1]  # the free run last
    assert (
        _names(replay("ls", str(recorded / "cassettes"), "--sort", "calls").stdout)[-1]
        == "test_agent/test_rate_limit"
    )
    assert _names(replay("ls", str(recorded / AGENT / "test_search.trace.yaml")).stdout) == ["test_search"]


def test_ls_json(recorded: Path) -> None:
    data = json.loads(replay("ls", str(recorded / "cassettes"), "--json", "--sort", "tokens").stdout)
    assert [d["name"] for d in data][-1] == "test_agent/test_rate_limit"
    search = next(d for d in data if d["name"] == "test_agent/test_search")
    assert search["llm_calls"] == 3 and search["tool_calls"] == 1 and search["error"] is None
    assert search["size"] == (recorded / AGENT / "test_search.trace.yaml").stat().st_size
    assert {m["model"] for m in search["models"]} == {"gpt-4o-mini", "claude-3-5-haiku-latest"}
    assert 0 <= search["age_s"] < 3600


def test_an_empty_folder_is_not_an_error(tmp_path: Path) -> None:
    for command in ("ls", "stats"):
        result = replay(command, str(tmp_path))
        assert result.returncode == 0, result.stderr
    assert "no readable cassettes" in replay("ls", str(tmp_path)).stdout


def test_stats_totals_per_model_per_tool_and_the_most_expensive(recorded: Path) -> None:
    result = replay("stats", str(recorded))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Cassettes:  3" in out and "LLM calls:  7   Tool calls: 2   Errors: 2" in out
    assert "Per model" in out and "Per tool" in out and "Most expensive tests" in out
    data = json.loads(replay("stats", str(recorded / "cassettes"), "--json", "--top", "2").stdout)
    models = {m["model"]: m for m in data["models"]}
    assert models["gpt-4o-mini"]["calls"] == 4 and models["claude-3-5-haiku-latest"]["calls"] == 2
    assert models["error-429"] == {"model": "error-429", "calls": 1, "tokens": 0, "cost_usd": 0.0}
    assert data["tools"] == [{"name": "search", "calls": 2, "errors": 0}]
    assert [e["name"] for e in data["most_expensive"]] == [
        "test_agent/test_search",
        "test_agent/test_weather",
    ]
    assert abs(data["cost_usd"] - sum(m["cost_usd"] for m in data["models"])) < 1e-12
    assert data["tokens"] == sum(m["tokens"] for m in data["models"]) > 0 and data["unpriced"] == 0


def _age(path: Path, created_at: str = "2020-01-01T00:00:00.000Z") -> Path:
    trace = load_cassette(path)
    trace.created_at = created_at
    save_cassette(trace, path)
    return path


def test_prune_deletes_old_cassettes_and_dry_run_only_says_so(library: Path) -> None:
    old = _age(library / AGENT / "test_search.trace.yaml")
    dry = replay("prune", str(library), "--older-than", "30d", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].startswith(f"would delete {AGENT / old.name} (")
    assert dry.stdout.splitlines()[-1] == "1 would be deleted, 2 kept (dry run)" and old.exists()
    result = replay("prune", str(library), "--older-than", "30d")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 deleted, 2 kept"
    assert not old.exists() and len(list((library / AGENT).iterdir())) == 2


def test_prune_never_follows_or_deletes_links_out_of_the_folder(library: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    far = _age((library / AGENT / "test_weather.trace.yaml").rename(outside / "far.trace.yaml"))
    (library / AGENT / "linked.trace.yaml").symlink_to(far)
    (library / "cassettes" / "elsewhere").symlink_to(outside, target_is_directory=True)
    inside_old = _age(library / AGENT / "test_search.trace.yaml")
    result = replay("prune", str(library), "--older-than", "1d")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 deleted, 1 kept"
    assert not inside_old.exists()
    assert far.exists() and os.path.islink(library / AGENT / "linked.trace.yaml")
    assert (library / "cassettes" / "elsewhere" / "far.trace.yaml").exists()


def test_prune_unused_judges_by_the_test_modules(library: Path) -> None:
    (library / AGENT / "test_weather.trace.yaml").rename(library / AGENT / "test_weather_oslo.trace.yaml")
    (library / AGENT / "custom_name.trace.yaml").write_bytes(
        (library / AGENT / "test_search.trace.yaml").read_bytes()
    )
    gone = library / "cassettes" / "test_gone" / "test_x.trace.yaml"
    gone.parent.mkdir()
    gone.write_bytes((library / AGENT / "test_search.trace.yaml").read_bytes())
    (library / "test_agent.py").write_text(
        "import pytest\n\n"
        "def test_search(): ...\n\n"
        "@pytest.mark.parametrize('city', ['oslo'])\n"
        "def test_weather(city): ...\n\n"
        "@pytest.mark.cassette('cassettes/test_agent/custom_name.trace.yaml')\n"
        "def test_custom(): ...\n",
        encoding="utf-8",
    )
    dry = replay("prune", str(library), "--unused", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"would delete {AGENT / 'test_rate_limit.trace.yaml'} (unused: no test in test_agent.py records it)",
        f"would delete {GONE} (unused: its test module test_gone.py is gone)",
        "2 would be deleted, 3 kept (dry run)",
    ]
    both = replay("prune", str(library), "--unused", "--older-than", "30d")  # old AND unused: none yet
    assert both.stdout.splitlines()[-1] == "0 deleted, 5 kept"
    _age(gone)
    both = replay("prune", str(library), "--unused", "--older-than", "30d")
    deleted, summary = both.stdout.splitlines()
    assert deleted.startswith(f"deleted {GONE} (") and " days old; unused: its test module " in deleted
    assert summary == "1 deleted, 4 kept"
    assert not gone.exists() and (library / AGENT / "test_rate_limit.trace.yaml").exists()


def test_validate_passes_recorded_cassettes(recorded: Path) -> None:
    result = replay("validate", str(recorded))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 cassettes checked: all valid"


@pytest.mark.writes_secrets  # it plants a key in a cassette for validate to find
def test_validate_finds_edited_requests_secrets_and_broken_files(library: Path) -> None:
    edited = library / AGENT / "test_search.trace.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("France", "Spain"), encoding="utf-8")
    leaked = library / AGENT / "test_weather.trace.yaml"
    secret = "You are a terse assistant. Use key sk-proj-abcDEF1234567890abcdef."
    leaked.write_text(
        leaked.read_text(encoding="utf-8").replace("You are a terse assistant.", secret, 1), encoding="utf-8"
    )
    broken = library / AGENT / "test_rate_limit.trace.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("version: 1", "version: 7"), encoding="utf-8"
    )
    result = replay("validate", str(library))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 cassettes checked: 6 problems in 3"
    assert f"{broken}: unsupported cassette version 7" in lines[0]
    assert [line.split(": ")[1] for line in lines if line.startswith(str(edited))] == [
        "events[0].fingerprint",
        "events[2].fingerprint",
        "events[3].fingerprint",
    ]
    assert f"{leaked}: events[0].fingerprint: fingerprint " in result.stdout
    assert f"{leaked}: events[0].request.messages[0].content: secret left: looks like a credential" in lines
    assert "sk-proj" not in result.stdout  # a finding names where, never what
    data = json.loads(replay("validate", str(edited), str(leaked), "--json").stdout)
    assert data["cassettes"] == 2 and data["invalid"] == 2
    assert {p["kind"] for p in data["problems"]} == {"fingerprint", "secret"}


def test_validate_names_the_location_of_a_schema_problem(library: Path) -> None:
    path = library / AGENT / "test_search.trace.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("provider: openai", "provider: [1]", 1), "utf-8")
    result = replay("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(f"{path}: events[0].provider: ")


def test_validate_finds_a_damaged_stream_that_loads_but_would_not_replay(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    client = openai.OpenAI(base_url=fake_llm.openai_base_url, api_key="sk-test", max_retries=0)
    path = tmp_path / "stream.trace.yaml"
    with Recorder(save_to=path):
        chunks = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: hi"
    assert replay("validate", str(path)).returncode == 0
    lines = path.read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("    data: {"))
    lines[first] = lines[first][: len(lines[first]) // 2]  # a chunk cut in half
    path.write_text("\n".join(lines), encoding="utf-8")
    result = replay("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: events[0].stream: damaged stream: event 0: invalid JSON")


def test_validate_names_missing_header_fields(library: Path) -> None:
    path = library / AGENT / "test_search.trace.yaml"
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.startswith(("  id: ", "  created_at: "))]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = replay("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        f"{path}: trace.id: missing: a new random id is made on every load, so reports of one run disagree",
        f"{path}: trace.created_at: missing: its age is unknown (prune falls back to the file's time)",
    ]


def test_stats_keep_unknown_prices_apart(library: Path) -> None:
    from tests.diff.traces import chat
    from trace_ops import Trace

    save_cassette(Trace(events=[chat("no-such-model-xyz")]), library / AGENT / "test_unpriced.trace.yaml")
    data = json.loads(replay("stats", str(library / "cassettes"), "--json").stdout)
    assert data["cassettes"] == 4 and data["unpriced"] == 1
    assert {"model": "no-such-model-xyz", "calls": 1, "tokens": 120, "cost_usd": None} in data["models"]
    assert "test_agent/test_unpriced" not in [e["name"] for e in data["most_expensive"]]
    text = replay("stats", str(library / "cassettes")).stdout
    assert "(1 cassette not priced, left out)" in text
    ls = replay("ls", str(library / "cassettes"), "--sort", "cost").stdout.splitlines()
    assert ls[-1].split()[0] == "test_agent/test_unpriced" and " unknown " in ls[-1]
