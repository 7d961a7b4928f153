"""`SessionOptions`: the one set of options `Session`, `Recorder`, `Replayer` and the fixture share."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trace_ops import Recorder, Replayer
from trace_ops.modes import RecordMode
from trace_ops.session import Session, SessionOptions
from trace_ops.testing import FakeLLMServer

from .test_sessions import ask, client, record


def test_options_given_as_one_value_act_like_keywords(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    record(fake_llm, path, "hello")
    options = SessionOptions(rerecord_hint="run make record", tags=("smoke",))
    with Session(path, options=options) as session:
        assert ask(client(fake_llm), "hello")
    assert session.mode is RecordMode.NONE
    assert session.rerecord_hint == "run make record"
    assert session.replayed_count == 1
    variant = dataclasses.replace(options, record_mode="all")
    assert Session(path, options=variant).mode is RecordMode.ALL


def test_options_and_keywords_together_are_refused() -> None:
    with pytest.raises(TypeError, match="not both"):
        Session(None, sequential=True, options=SessionOptions())


def test_recorder_and_replayer_keep_their_defaults(tmp_path: Path) -> None:
    assert Recorder().mode is RecordMode.ALL
    assert Recorder().options == SessionOptions(record_mode=RecordMode.ALL)
    replayer = Replayer(tmp_path / "c.yaml", replay_tools=True)
    assert replayer.mode is RecordMode.NONE
    assert replayer.options == SessionOptions(replay_tools=True)


def test_entering_gives_back_the_subclass(tmp_path: Path) -> None:
    with Recorder() as rec:
        assert type(rec) is Recorder
