"""The error contract, end to end through the real entry point (no Docker needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli.app", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["logs", "4242"], 2, "no build 4242"),
        (["build", "--timeout", "0"], 2, "--timeout must be positive"),
        (["build", "-e", "NOVALUE"], 2, "is not NAME=VALUE"),
        (["history", "--status", "bogus"], 2, "unknown status 'bogus'"),
        (["plan", "/definitely/not/here"], 2, "/definitely/not/here"),
    ],
)
def test_errors_print_message_and_hint_with_a_documented_code(
    args: list[str], code: int, message: str
) -> None:
    result = run(*args)
    assert result.returncode == code, result.stderr
    assert "error: " in result.stderr and message in result.stderr
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_adds_the_traceback() -> None:
    result = run("--debug", "logs", "4242")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_usage_errors_from_the_parser_exit_2() -> None:
    result = run("build", "--no-such-flag")
    assert result.returncode == 2


def test_empty_history_is_not_an_error() -> None:
    result = run("history")
    assert result.returncode == 0
    assert "no builds yet" in result.stdout


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("build", "plan", "history", "logs", "image"):
        assert command in result.stdout
