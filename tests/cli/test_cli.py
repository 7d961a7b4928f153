"""The `replay` command as a user runs it: the installed console script, in a child process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trace_ops.cli.main import COMMANDS, PLANNED

NOT_BUILT = [name for name, command in COMMANDS.items() if command.module is None]


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "replay"
    command = [str(script)] if script.exists() else [shutil.which("replay") or "replay"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)


def test_an_unknown_command_is_a_usage_error_listing_the_commands() -> None:
    result = replay("bogus")
    assert result.returncode == 2
    assert "unknown command 'bogus'" in result.stderr and "usage: replay" in result.stderr
    assert all(name in result.stderr for name in PLANNED)
    assert "not implemented" not in result.stderr


@pytest.mark.skipif(not NOT_BUILT, reason="every command is built")
@pytest.mark.parametrize("command", NOT_BUILT or ["none"])
def test_a_planned_command_says_it_is_not_implemented(command: str) -> None:
    result = replay(command)
    assert result.returncode == 2
    assert f"'{command}' is not implemented yet" in result.stderr


def test_no_command_prints_the_help() -> None:
    result = replay()
    assert result.returncode == 0 and "usage: replay" in result.stdout


def test_help_lists_every_command_with_what_it_does() -> None:
    result = replay("--help")
    assert result.returncode == 0
    assert all(f"  {name} " in result.stdout for name in PLANNED)


@pytest.mark.parametrize("command", [name for name in PLANNED if name not in NOT_BUILT])
def test_every_built_command_has_help_with_an_example(command: str) -> None:
    result = replay(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: replay {command}" in result.stdout and "example:\n  replay " + command in result.stdout


def test_a_bad_top_level_option_is_a_usage_error() -> None:
    result = replay("--bogus")
    assert result.returncode == 2 and "usage: replay" in result.stderr
