"""Caching against the real engine: what hits, what misses, and that nothing goes stale."""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from .conftest import PITSTOP, cli_env, events, git, stored

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def unique_vite(make_repo, name: str = "repo") -> Path:
    """examples/vite-npm with a package.json of its own, so no earlier run's cache applies."""
    repo = make_repo("vite-npm", name=name)
    manifest = json.loads((repo / "package.json").read_text())
    manifest["description"] = f"cache test {uuid.uuid4()}"
    (repo / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    commit(repo, "unique")
    return repo


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def build(pitstop, repo: Path, *args: str) -> tuple[dict, dict[str, str]]:
    result = pitstop("build", str(repo), "--json", *args)
    evs = events(result.stdout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    steps = {e["step"]: e["status"] for e in evs if e["type"] == "step_finished"}
    return evs[-1], steps


def why(pitstop) -> dict[str, dict]:
    result = pitstop("why", "--json")
    assert result.returncode == 0, result.stderr
    return {v["label"]: v for v in json.loads(result.stdout)["caches"]}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_an_unchanged_rebuild_skips_install_and_build_and_reproduces_the_output(
    make_repo, pitstop, tmp_path
) -> None:
    repo = unique_vite(make_repo)
    _, steps = build(pitstop, repo, "--out", str(tmp_path / "one"))
    assert steps["install"] == "ok" and steps["build"] == "ok"
    second, steps = build(pitstop, repo, "--out", str(tmp_path / "two"))
    assert steps["install"] == "cached" and steps["build"] == "cached"
    assert second["duration"] < 3
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    verdicts = why(pitstop)
    assert verdicts["whole build (output memo)"]["hit"] is True


def test_each_input_invalidates_exactly_its_caches(make_repo, pitstop) -> None:
    repo = unique_vite(make_repo)
    build(pitstop, repo)

    (repo / "src" / "greet.js").write_text("export const greet = (n) => `changed ${n}`;\n")
    commit(repo, "source")
    _, steps = build(pitstop, repo)
    assert steps["install"] == "cached" and steps["build"] == "ok"
    verdicts = why(pitstop)
    assert verdicts["whole build (output memo)"]["reasons"] == ["1 file changed: src/greet.js"]
    assert verdicts["installed dependencies"]["hit"] is True

    _, steps = build(pitstop, repo, "-e", "PUBLIC_FLAG=1")
    assert steps["install"] == "cached" and steps["build"] == "ok"
    assert why(pitstop)["whole build (output memo)"]["reasons"] == ["env PUBLIC_FLAG set"]

    lock = json.loads((repo / "package-lock.json").read_text())
    lock["name"] = "renamed-in-lockfile"
    (repo / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")
    commit(repo, "lockfile")
    _, steps = build(pitstop, repo, "-e", "PUBLIC_FLAG=1")
    assert steps["install"] == "ok"
    verdicts = why(pitstop)
    assert verdicts["installed dependencies"]["reasons"] == ["package-lock.json changed"]
    assert verdicts["whole build (output memo)"]["hit"] is False

    (repo / ".nvmrc").write_text("22\n")
    commit(repo, "node 22")
    _, steps = build(pitstop, repo, "-e", "PUBLIC_FLAG=1")
    assert steps["install"] == "ok"
    reasons = why(pitstop)["installed dependencies"]["reasons"]
    assert any(r.startswith("node 24.") and "→ 22." in r for r in reasons), reasons


def test_no_cache_builds_for_real(make_repo, pitstop) -> None:
    repo = unique_vite(make_repo)
    build(pitstop, repo)
    _, steps = build(pitstop, repo, "--no-cache")
    assert steps["install"] == "ok" and steps["build"] == "ok"


MANY_FILES = {
    "package.json": json.dumps(
        {
            "name": "many",
            "version": "1.0.0",
            "private": True,
            "description": "",
            "scripts": {"build": "node build.js"},
        }
    ),
    "package-lock.json": json.dumps(
        {
            "name": "many",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {"": {"name": "many", "version": "1.0.0"}},
        }
    ),
    "pitstop.toml": '[build]\noutput_dir = "dist"\n',
    "build.js": (
        "const fs = require('fs');\n"
        "for (let d = 0; d < 40; d++) {\n"
        "  fs.mkdirSync(`dist/d${d}`, { recursive: true });\n"
        "  for (let f = 0; f < 500; f++) fs.writeFileSync(`dist/d${d}/f${f}.txt`, `${d}-${f}`);\n"
        "}\n"
    ),
}


def test_a_build_canceled_while_saving_its_cache_leaves_the_cache_usable(
    make_repo, build_image, isolated_state, pitstop
) -> None:
    files = dict(MANY_FILES)
    files["package.json"] = files["package.json"].replace('""', json.dumps(str(uuid.uuid4())))
    repo = make_repo(files=files)
    proc = subprocess.Popen(
        [*PITSTOP, "build", str(repo), "--json"],
        env=cli_env(isolated_state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        event = json.loads(raw)
        if event["type"] == "step_started" and event["step"] == "cache":
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    memo = isolated_state / "cache" / "build-cache" / "memo"
    for entry in memo.iterdir() if memo.is_dir() else ():
        assert not entry.name.startswith("."), f"partial entry left: {entry}"
        assert (entry / "meta.json").is_file()
    final, _ = build(pitstop, repo)
    out = Path(final["output"]["path"])
    assert final["output"]["files"] == 20000
    assert (out / "d39" / "f499.txt").read_text() == "39-499"


def test_two_builds_of_one_project_at_once_both_succeed(
    make_repo, build_image, isolated_state, tmp_path
) -> None:
    repo = unique_vite(make_repo)
    procs = [
        subprocess.Popen(
            [*PITSTOP, "build", str(repo), "--json", "--out", str(tmp_path / f"o{i}")],
            env=cli_env(isolated_state),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert snapshot(tmp_path / "o0") == snapshot(tmp_path / "o1")
    assert "Hello from a pitstop build" in (tmp_path / "o0" / "index.html").read_text()


def test_without_an_engine_an_unchanged_build_still_answers_from_the_memo(
    make_repo, pitstop, isolated_state, tmp_path
) -> None:
    repo = unique_vite(make_repo)
    build(pitstop, repo)
    env = {**cli_env(isolated_state), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    offline = subprocess.run(
        [*PITSTOP, "build", str(repo), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert offline.returncode == 0, offline.stdout[-2000:]
    finished = events(offline.stdout)[-1]
    assert (
        "Hello from a pitstop build"
        in (Path(finished["output"]["path"]) / "index.html").read_text()
    )
    (repo / "src" / "greet.js").write_text("export const greet = (n) => n;\n")
    commit(repo, "change")
    changed = subprocess.run(
        [*PITSTOP, "build", str(repo), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert changed.returncode == 4
    assert "no Docker engine answered" in events(changed.stdout)[-1]["error"]


def test_turbo_replays_an_unchanged_internal_package_from_its_kept_cache(
    make_repo, pitstop, isolated_state, tmp_path
) -> None:
    repo = make_repo("turbo-monorepo")
    first, _ = build(pitstop, repo, "--root", "apps/web", "--out", str(tmp_path / "one"))
    logs = [line.text for line in stored(isolated_state, first["build_id"])[1]]
    assert any("@repo/ui:build: cache miss" in t for t in logs)
    # the app changes, the internal package does not: turbo's cache (kept by pitstop) has it
    build_js = repo / "apps/web/build.js"
    build_js.write_text(build_js.read_text().replace("built web", "built web again"))
    commit(repo, "change the app only")
    second, steps = build(pitstop, repo, "--root", "apps/web", "--out", str(tmp_path / "two"))
    assert steps["install"] == "cached" and steps["build"] == "ok"
    logs = [line.text for line in stored(isolated_state, second["build_id"])[1]]
    assert any("@repo/ui:build: cache hit" in t for t in logs), logs[-30:]
    assert any("web:build: cache miss" in t for t in logs)
    assert "built by @repo/ui" in (tmp_path / "two" / "index.html").read_text()
