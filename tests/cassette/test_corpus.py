"""A corpus of crafted cassettes (tests/cassette/corpus/): each file is a known attack or damage,
its first line says what must happen: `# expect: <fragment>` (loading raises one CassetteError
line naming the file and holding the fragment) or `# expect on replay: <fragment>` (it loads,
and replaying the call it holds raises that CassetteError instead of an error inside the SDK).
Add a file to add a case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from trace_ops import CassetteError, Replayer, load_cassette
from trace_ops.testing import FakeLLMServer

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))


def expectation(path: Path) -> tuple[str, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    when, _, fragment = first.removeprefix("# expect").partition(": ")
    assert fragment and when in ("", " on replay"), f"{path.name}: first line must be '# expect: …'"
    return ("load" if not when else "replay"), fragment


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_OPS_CACHE_DIR", "off")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


def test_the_corpus_covers_load_and_replay() -> None:
    kinds = [expectation(path)[0] for path in FILES]
    assert kinds.count("load") >= 20 and kinds.count("replay") >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_crafted_file_fails_as_it_says(path: Path, server: FakeLLMServer, tmp_path: Path) -> None:
    when, fragment = expectation(path)
    copy = tmp_path / path.name  # loading never writes beside it, but the corpus stays untouched
    copy.write_bytes(path.read_bytes())
    if when == "load":
        with pytest.raises(CassetteError) as caught:
            load_cassette(copy)
    else:
        trace = load_cassette(copy)
        call = trace.llm_calls[0]
        served = server.request_count
        with pytest.raises(CassetteError) as caught, Replayer(copy):
            if call.provider == "openai":
                oa = openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)
                list(
                    oa.chat.completions.create(
                        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
                    )
                )
            else:
                an = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="x", max_retries=0)
                list(
                    an.messages.create(
                        model="claude-haiku-4-5",
                        max_tokens=20,
                        messages=[{"role": "user", "content": "hi"}],
                        stream=True,
                    )
                )
        assert server.request_count == served
        assert str(caught.value).startswith(f"{copy}: events[0].stream: ")
    message = str(caught.value)
    assert message.startswith(f"{copy}: ") and "\n" not in message, message
    assert fragment in message, message
