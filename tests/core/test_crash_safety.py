"""Crashes and lost data: a failed run keeps a good cassette, a killed save leaves no temp file
for long, and SIGTERM saves what was recorded. Real SDKs against the fake server, real processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from trace_ops import Recorder, Replayer, load_cassette
from trace_ops._files import atomic_write_text
from trace_ops.library import discover, orphans
from trace_ops.session import Session
from trace_ops.testing import FakeLLMServer
from trace_ops.trace import ErrorEvent

posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and PIDs as on POSIX")


def client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)


def ask(c: openai.OpenAI, question: str, **kw: Any) -> str:
    reply = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}], **kw)
    return reply.choices[0].message.content or ""


class Boom(Exception):
    pass


# ------------------------------------------------------------------ a failed run keeps the cassette


@pytest.mark.parametrize("mode", ["all", "rewrite"])
def test_a_run_failing_before_its_first_call_keeps_the_cassette(
    fake_llm: FakeLLMServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(client(fake_llm), "a")
        ask(client(fake_llm), "b")
    before = path.read_bytes()
    with caplog.at_level(logging.WARNING, "trace_ops"), pytest.raises(Boom), Session(path, record_mode=mode):
        assert path.read_bytes() == before  # `rewrite` too: the old file stays until a new one is saved
        raise Boom("the agent failed")
    assert path.read_bytes() == before
    assert "failed (Boom) before recording any LLM call; the cassette was kept" in caplog.text
    assert str(path) in caplog.text
    with Replayer(path):
        assert ask(client(fake_llm), "b") == "Echo: b"


def test_a_failed_run_that_recorded_replaces_and_a_new_cassette_is_written(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with Recorder(save_to=path):
        ask(client(fake_llm), "a")
    with pytest.raises(Boom), Session(path, record_mode="all"):
        ask(client(fake_llm), "new")
        raise Boom
    assert [c.request["messages"][0]["content"] for c in load_cassette(path).llm_calls] == ["new"]
    fresh = tmp_path / "fresh.yaml"  # no cassette to keep: the failed run is written, with its error
    with pytest.raises(Boom), Session(fresh, record_mode="all"):
        raise Boom
    assert load_cassette(fresh).total_llm_calls == 0 and any(
        isinstance(e, ErrorEvent) for e in load_cassette(fresh).events
    )


# ------------------------------------------------------------------ temp files of a killed save

_SAVE_FOREVER = """
import sys
from pathlib import Path
from trace_ops._files import atomic_write_text
path = Path(sys.argv[1])
text = "x" * 40_000_000
while True:
    atomic_write_text(path, text)
"""

_HOLD_A_TEMP_FILE = """
import sys, tempfile, time
from pathlib import Path
from trace_ops import _files
path = Path(sys.argv[1])
fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_files._writer()}.", suffix=".tmp", dir=path.parent)
print(tmp, flush=True)
time.sleep(120)
"""


def _temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


def _kill_mid_save(path: Path) -> list[Path]:
    """SIGKILL a process while it writes `path`; the temp files it left (retried until one is left)."""
    for _ in range(10):
        child = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(path)])
        try:
            deadline = time.monotonic() + 30
            while not _temp_files(path.parent) and time.monotonic() < deadline:
                time.sleep(0.001)
            child.kill()
        finally:
            child.wait()
        if left := _temp_files(path.parent):
            return left
    raise AssertionError("never caught the writer mid-save")


@posix_only
def test_the_next_save_removes_what_a_killed_save_left(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "c.trace.yaml"
    path.parent.mkdir()
    left = _kill_mid_save(path)
    assert not {p.name for p in discover(tmp_path)} & {p.name for p in left}  # never listed as a cassette
    abandoned = path.parent / f".{path.name}.zzzz9999.tmp"  # an older name, untouched for a day
    abandoned.write_text("partial")
    os.utime(abandoned, (time.time() - 86400,) * 2)
    with Recorder(save_to=path):
        ask(client(fake_llm), "hi")
    assert _temp_files(path.parent) == []
    assert list(discover(tmp_path)) == [path] and orphans([str(path)]) == []
    with Replayer(path):
        assert ask(client(fake_llm), "hi") == "Echo: hi"


@posix_only
def test_a_save_keeps_the_temp_files_of_live_writers(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.trace.yaml"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_TEMP_FILE, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        live = Path(holder.stdout.readline().strip())  # a live writer's temp file, fresh
        assert live.name.startswith(f".{path.name}.")
        legacy = tmp_path / f".{path.name}.abcd1234.tmp"  # an older name, without its writer: fresh
        legacy.write_text("partial")
        other = tmp_path / ".other.trace.yaml.1@ffffffff.q.tmp"  # another cassette's
        other.write_text("partial")
        os.utime(other, (time.time() - 86400,) * 2)
        with Recorder(save_to=path):
            ask(client(fake_llm), "hi")
        assert set(_temp_files(tmp_path)) == {live, legacy, other}
        assert list(discover(tmp_path)) == [path]
    finally:
        holder.kill()
        holder.wait()


def test_a_save_never_removes_its_own_process_temp_files(tmp_path: Path) -> None:
    """Another thread of this process may be writing the same cassette."""
    target = tmp_path / "c.yaml"
    from trace_ops import _files

    mine = tmp_path / f".c.yaml.{_files._writer()}.abc.tmp"
    mine.write_text("in progress")
    atomic_write_text(target, "done")
    assert mine.exists() and target.read_text() == "done"


# ------------------------------------------------------------------ SIGTERM

_RECORD_THEN_WAIT = """
import signal, sys, time
import openai
from trace_ops import Recorder
base_url, path, chain = sys.argv[1], sys.argv[2], sys.argv[3] == "chain"
if chain:
    def previous(signum, frame):
        print("previous handler", flush=True)
        sys.exit(3)
    signal.signal(signal.SIGTERM, previous)
client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
with Recorder(save_to=path):
    for q in ("one", "two", "three"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "a long story"}], stream=True
    )
    next(iter(stream))
    print("ready", flush=True)
    time.sleep(120)
"""


def _record_and_terminate(server: FakeLLMServer, path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _RECORD_THEN_WAIT, server.openai_base_url, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGTERM)
    out, _ = child.communicate(timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, out)


@posix_only
def test_sigterm_saves_what_was_recorded_and_terminates_as_sigterm(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    done = _record_and_terminate(fake_llm, path, "plain")
    assert done.returncode == -signal.SIGTERM
    trace = load_cassette(path)
    assert trace.total_llm_calls == 4
    assert trace.llm_calls[-1].incomplete and not any(c.incomplete for c in trace.llm_calls[:3])
    assert any(isinstance(e, ErrorEvent) and e.error_type == "Terminated" for e in trace.events)
    asked = fake_llm.request_count
    with Replayer(path):
        assert [ask(client(fake_llm), q) for q in ("three", "one", "two")] == [
            "Echo: three",
            "Echo: one",
            "Echo: two",
        ]
    assert fake_llm.request_count == asked  # replayed, no network


@posix_only
def test_sigterm_chains_to_the_previous_python_handler(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    done = _record_and_terminate(fake_llm, path, "chain")
    assert done.returncode == 3 and "previous handler" in done.stdout
    assert load_cassette(path).total_llm_calls == 4


def test_the_sigterm_handler_is_installed_only_while_recording(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with Recorder(save_to=tmp_path / "c.yaml"):
        assert signal.getsignal(signal.SIGTERM) is not before
        ask(client(fake_llm), "hi")
    assert signal.getsignal(signal.SIGTERM) is before
    with Replayer(tmp_path / "c.yaml"):  # a replay saves nothing: nothing to install
        assert signal.getsignal(signal.SIGTERM) is before
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with Recorder(save_to=tmp_path / "d.yaml"):  # ignored on purpose: left so
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_saved_cassette_gets_the_usual_file_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    """Not mkstemp's private 0600: a cassette is a file to commit and share (0644 under umask 022)."""
    from trace_ops._files import atomic_write_text

    mask = os.umask(0o022)
    os.umask(mask)
    fresh = atomic_write_text(tmp_path / "new.trace.yaml", "version: 1\n")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask
    fresh.chmod(0o640)
    atomic_write_text(fresh, "version: 1\nevents: []\n")
    assert fresh.stat().st_mode & 0o777 == 0o640
