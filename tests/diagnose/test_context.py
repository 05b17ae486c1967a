"""What the runner knows (the project's package manager) sharpens the fix."""

from __future__ import annotations

from pathlib import Path

from runner.diagnose import diagnose

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs" / "lockfile_out_of_sync"


def test_the_fix_names_the_projects_own_relock_command() -> None:
    log = next(FIXTURES.glob("npm-*.log")).read_text().splitlines()
    generic = diagnose(log, phase="install")
    assert generic.code == "lockfile_out_of_sync"
    assert "npm install` / `pnpm install`" in generic.fix
    told = diagnose(log, phase="install", context={"relock": "npm install"})
    assert told.fix.startswith("Run `npm install` locally")
    assert "pnpm" not in told.fix
