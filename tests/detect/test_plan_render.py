"""Plan rendering: every decision on its own line with its source."""

from __future__ import annotations

from runner.models import Framework, PackageManager, Plan, Runtime
from runner.plan_render import plan_lines
from tests.detect.helpers import pkg, plan


def test_lines_for_a_detected_monorepo_app() -> None:
    files = {
        "package.json": pkg(packageManager="pnpm@9.15.0"),
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        ".nvmrc": "20.18.0\n",
        "apps/web/package.json": pkg(build="astro build", dependencies={"astro": "^5"}),
    }
    lines = plan_lines(plan(files, "apps/web"))
    assert lines[0] == "root apps/web (workspace root ., pnpm-workspace.yaml)"
    assert "pnpm 9.15.0 — packageManager in package.json" in lines
    assert "node 20.18.0 — .nvmrc" in lines
    assert "framework Astro — astro in apps/web/package.json" in lines
    assert "install pnpm install --frozen-lockfile (in .) — frozen: pnpm-lock.yaml" in lines
    assert "build pnpm run build — build script in apps/web/package.json" in lines
    assert "output dist — Astro default" in lines
    assert "cache node_modules/.astro" in lines


def test_warnings_come_last() -> None:
    p = Plan(
        root="",
        workspace_root="",
        package_manager=PackageManager("npm", None, "default"),
        runtimes=(Runtime("node", "24.0.0", "pitstop default (current LTS)"),),
        framework=Framework("vite", "Vite", "vite in package.json"),
        install_command="npm install",
        build_command="npm run build",
        output_dir="dist",
        warnings=("no lockfile for npm",),
        reasons=(("output", "Vite default"),),
    )
    lines = plan_lines(p)
    assert lines[-1] == "warning: no lockfile for npm"
    assert lines[1].startswith("npm (the image's ")
    assert "build npm run build — detected" in lines
    assert "output dist — Vite default" in lines


def test_python_plan_lines() -> None:
    files = {
        "mkdocs.yml": "site_name: D\n",
        "requirements.txt": "mkdocs\n",
        "runtime.txt": "python-3.11.4",
    }
    lines = plan_lines(plan(files))
    assert "python 3.11.4 — runtime.txt" in lines
    assert "output site — MkDocs default" in lines
    assert not any(line.startswith("node ") for line in lines)
