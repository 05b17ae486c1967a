"""End-to-end builds against the real Docker engine, real git and real npm."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import PITSTOP, cli_env, events, git, pitstop_containers, stored

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_vite_example_builds_and_its_output_reaches_the_host(
    make_repo, pitstop, isolated_state, tmp_path, docker_client
) -> None:
    repo = make_repo("vite-npm")
    out = tmp_path / "site"
    result = pitstop("build", str(repo), "--out", str(out), "--json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    evs = events(result.stdout)
    finished = evs[-1]
    assert finished["type"] == "build_finished" and finished["status"] == "succeeded"
    html = (out / "index.html").read_text()
    assert "Hello from a pitstop build" in html
    bundles = list((out / "assets").glob("*.js"))
    assert bundles and "Built by" in bundles[0].read_text()
    assert finished["output"]["files"] == sum(1 for p in out.rglob("*") if p.is_file())
    record, lines = stored(isolated_state, finished["build_id"])
    assert record.status == "succeeded" and record.commit and len(record.commit) == 40
    steps = [s.step for s in record.steps]
    assert steps == ["clone", "plan", "init", "install", "build", "output", "cache"]
    assert any(line.step == "build" and "built in" in line.text for line in lines)
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
    assert not pitstop_containers(docker_client, finished["build_id"])


def test_out_of_sync_lockfile_fails_in_install_with_npms_words(
    make_repo, pitstop, isolated_state, docker_client
) -> None:
    repo = make_repo("npm-lockfile-out-of-sync")
    result = pitstop("build", str(repo))
    assert result.returncode == 1, result.stdout[-3000:]
    assert "failed in" in result.stdout and "install" in result.stdout
    history = pitstop("history", "--json")
    build = json.loads(history.stdout)[0]
    record, lines = stored(isolated_state, build["id"])
    assert record.status == "failed" and record.phase == "install"
    assert record.exit_code not in (None, 0)
    text = "\n".join(line.text for line in lines if line.step == "install")
    assert "can only install packages when your package.json and package-lock.json" in text
    assert "Missing: is-number@7.0.0 from lock file" in text
    assert record.diagnosis["code"] == "lockfile_out_of_sync"
    assert record.diagnosis["fix"].startswith("Run `npm install` locally")
    assert "lockfile_out_of_sync" in result.stdout  # the panel a failed build ends with
    assert not pitstop_containers(docker_client, build["id"])


SLOW_PROJECT = {
    "pitstop.toml": '[build]\noutput_dir = "dist"\n',
    "package.json": json.dumps(
        {"name": "slow", "version": "1.0.0", "private": True, "scripts": {"build": "node build.js"}}
    ),
    "package-lock.json": json.dumps(
        {
            "name": "slow",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {"": {"name": "slow", "version": "1.0.0"}},
        }
    ),
    "build.js": (
        "const fs = require('fs');\n"
        "const total = Number(process.env.LINES || 60);\n"
        "let i = 0;\n"
        "const timer = setInterval(() => {\n"
        "  i += 1;\n"
        "  (i % 2 ? process.stdout : process.stderr).write(`line ${i} of ${total}\\n`);\n"
        "  if (i === total) {\n"
        "    clearInterval(timer);\n"
        "    fs.mkdirSync('dist', { recursive: true });\n"
        "    fs.writeFileSync('dist/done.txt', 'done');\n"
        "  }\n"
        "}, Number(process.env.DELAY || 50));\n"
    ),
}


def start_build(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*PITSTOP, "build", *args, "--json"],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen[str], predicate, timeout: float = 180) -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for raw in proc.stdout:
        event = json.loads(raw)
        seen.append(event)
        if predicate(event):
            return seen
        assert time.monotonic() < deadline, "event did not arrive in time"
    raise AssertionError(f"process ended before the event; last: {seen[-3:]}")


def test_sigint_cancels_removes_the_container_and_records_canceled(
    make_repo, build_image, isolated_state, docker_client
) -> None:
    repo = make_repo(files=SLOW_PROJECT)
    proc = start_build(isolated_state, str(repo), "-e", "DELAY=1000")
    seen = read_until(
        proc,
        lambda e: e["type"] == "log" and e["step"] == "build" and e["text"].startswith("line "),
    )
    build_id = seen[0]["build_id"]
    assert pitstop_containers(docker_client, build_id), "the build container should be running"
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert json.loads(rest.splitlines()[-1])["status"] == "canceled"
    record, _ = stored(isolated_state, build_id)
    assert record.status == "canceled"
    assert not pitstop_containers(docker_client, build_id)


def test_a_tiny_timeout_ends_timed_out(make_repo, pitstop, isolated_state, docker_client) -> None:
    repo = make_repo(files=SLOW_PROJECT)
    started = time.monotonic()
    result = pitstop("build", str(repo), "--timeout", "12", "-e", "DELAY=1000", "--json")
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    finished = events(result.stdout)[-1]
    assert finished["status"] == "timed_out" and finished["phase"] == "timeout"
    record, lines = stored(isolated_state, finished["build_id"])
    assert record.status == "timed_out"
    assert any("timed out after 0m12s" in line.text for line in lines)
    assert not pitstop_containers(docker_client, finished["build_id"])


def test_logs_follow_started_mid_build_gets_every_line_once(
    make_repo, build_image, isolated_state
) -> None:
    repo = make_repo(files=SLOW_PROJECT)
    proc = start_build(isolated_state, str(repo), "-e", "LINES=150", "-e", "DELAY=20")
    seen = read_until(
        proc,
        lambda e: e["type"] == "log" and e["step"] == "build" and e["text"].startswith("line "),
    )
    build_id = seen[0]["build_id"]
    follower = subprocess.run(
        [*PITSTOP, "logs", "-f", str(build_id), "--json"],
        env=cli_env(isolated_state),
        capture_output=True,
        text=True,
        timeout=180,
    )
    proc.communicate(timeout=180)
    assert proc.returncode == 0
    followed = [json.loads(line) for line in follower.stdout.splitlines()]
    _, lines = stored(isolated_state, build_id)
    assert [f["seq"] for f in followed] == [line.seq for line in lines]
    assert [f["text"] for f in followed] == [line.text for line in lines]
    build_lines = [f["text"] for f in followed if f["text"].startswith("line ")]
    assert build_lines == [f"line {i} of 150" for i in range(1, 151)]


def test_a_nonexistent_repository_fails_in_clone(pitstop, tmp_path) -> None:
    missing = tmp_path / "no-such-repo.git"
    result = pitstop("build", f"file://{missing}", "--json")
    assert result.returncode == 1
    finished = events(result.stdout)[-1]
    assert finished["status"] == "failed" and finished["phase"] == "clone"
    assert finished["error"] and finished["hint"]


def test_a_nonexistent_ref_fails_in_clone(make_repo, pitstop) -> None:
    repo = make_repo("vite-npm")
    result = pitstop("build", str(repo), "--ref", "no-such-branch", "--json")
    assert result.returncode == 1
    finished = events(result.stdout)[-1]
    assert finished["status"] == "failed" and finished["phase"] == "clone"
    assert "no-such-branch" in finished["error"]


def test_secrets_reach_the_build_but_never_the_log(make_repo, pitstop, isolated_state) -> None:
    files = dict(SLOW_PROJECT)
    files["build.js"] = (
        "const fs = require('fs');\n"
        "console.log(`token is ${process.env.API_TOKEN} and key ${process.env.DEPLOY_KEY}`);\n"
        "console.log(`plain is ${process.env.PLAIN}`);\n"
        "fs.mkdirSync('dist', { recursive: true });\n"
        "fs.writeFileSync('dist/token-length.txt', String(process.env.API_TOKEN.length));\n"
    )
    repo = make_repo(files=files)
    result = pitstop(
        "build",
        str(repo),
        "--json",
        "--secret",
        "API_TOKEN=s3cr3t-value-123",
        "-e",
        "DEPLOY_KEY=another-secret-456",
        "-e",
        "PLAIN=shown-value",
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "s3cr3t-value-123" not in result.stdout + result.stderr
    assert "another-secret-456" not in result.stdout
    finished = events(result.stdout)[-1]
    _, lines = stored(isolated_state, finished["build_id"])
    texts = [line.text for line in lines]
    assert "token is *** and key ***" in texts
    assert "plain is shown-value" in texts
    assert (Path(finished["output"]["path"]) / "token-length.txt").read_text() == "16"


def test_a_killed_pitstop_leaves_nothing_behind_after_the_next_build(
    make_repo, pitstop, isolated_state, docker_client
) -> None:
    repo = make_repo(files=SLOW_PROJECT)
    proc = start_build(isolated_state, str(repo), "-e", "DELAY=1000")
    seen = read_until(proc, lambda e: e["type"] == "log" and e["step"] == "build")
    build_id = seen[0]["build_id"]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert pitstop_containers(docker_client, build_id), "a killed process cannot clean up"
    result = pitstop("build", str(repo), "-e", "DELAY=1", "--json")
    assert result.returncode == 0, result.stdout[-2000:]
    assert not pitstop_containers(docker_client, build_id)
    record, _ = stored(isolated_state, build_id)
    assert record.status == "errored"
    assert "ended before the build finished" in (record.error or "")


GIT_PROJECT = {
    **SLOW_PROJECT,
    "build.js": (
        "const fs = require('fs');\n"
        "const { execSync } = require('child_process');\n"
        "const git = (a) => execSync(`git ${a}`, { encoding: 'utf8' }).trim();\n"
        "fs.mkdirSync('dist', { recursive: true });\n"
        "fs.writeFileSync('dist/git.json', JSON.stringify({\n"
        "  sha: git('rev-parse HEAD'), branch: git('rev-parse --abbrev-ref HEAD'),\n"
        "  subject: git('log -1 --format=%s'), status: git('status --porcelain -- src'),\n"
        "}));\n"
    ),
    "src/page.txt": "committed\n",
}


def _git_json(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stdout[-2000:]
    out = Path(events(result.stdout)[-1]["output"]["path"])
    return json.loads((out / "git.json").read_text())


def test_build_scripts_can_ask_git_about_the_commit(make_repo, pitstop) -> None:
    repo = make_repo(files=GIT_PROJECT)
    (repo / "src/page.txt").write_text("edited, not committed\n")
    committed = pitstop("build", str(repo), "--json", "--no-cache")
    assert committed.returncode == 0, committed.stdout[-2000:]
    info = json.loads(
        (Path(events(committed.stdout)[-1]["output"]["path"]) / "git.json").read_text()
    )
    assert info == {
        "sha": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "subject": "initial",
        "status": "",
    }
    snapshot = pitstop("build", str(repo), "--json", "--worktree", "--no-cache")
    assert snapshot.returncode == 0, snapshot.stdout[-2000:]
    info = json.loads(
        (Path(events(snapshot.stdout)[-1]["output"]["path"]) / "git.json").read_text()
    )
    assert info["sha"] == git(repo, "rev-parse", "HEAD")
    assert info["status"] == "M src/page.txt"  # the snapshot's edit shows against the commit
    (repo / "pitstop.toml").write_text('[build]\noutput_dir = "."\n')
    git(repo, "commit", "-q", "-am", "publish the whole folder")
    whole = pitstop("build", str(repo), "--json", "--no-cache")
    assert whole.returncode == 0, whole.stdout[-2000:]
    out = Path(events(whole.stdout)[-1]["output"]["path"])
    assert (out / "dist/git.json").is_file() and (out / "src/page.txt").is_file()
    assert not (out / ".git").exists()  # the build's .git is never published


def test_a_container_that_will_not_go_away_does_not_undo_the_verdict(
    make_repo, isolated_state, build_image, docker_client, monkeypatch
) -> None:
    """A removal that times out (a huge writable layer on a loaded disk) leaves a warning
    and a finished record, not an internal error and a build stuck 'running'."""
    import requests.exceptions

    from cli.context import AppContext
    from runner.build import BuildRequest
    from runner.engine import BuildContainer
    from runner.models import Status

    def stuck(self: BuildContainer) -> None:
        raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=600)")

    monkeypatch.setattr(BuildContainer, "remove", stuck)
    repo = make_repo(files=SLOW_PROJECT)
    ctx = AppContext()
    build = ctx.new_build(
        BuildRequest(source=str(repo), no_cache=True), emit=lambda event: None, cancel=None
    )
    result = build.run()
    record = ctx.store.get_build(result.build_id)
    assert record.status is Status.SUCCEEDED
    texts = [line.text for line in ctx.store.read_lines(result.build_id)]
    assert any("could not be removed (ReadTimeout" in t for t in texts)
    left = pitstop_containers(docker_client, result.build_id)
    assert len(left) == 1  # swept by the next pitstop whose owner is gone; here by hand
    monkeypatch.undo()
    left[0].remove(force=True, v=True)
