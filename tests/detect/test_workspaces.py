"""Monorepos: the workspace root is found by walking up from the app root."""

from __future__ import annotations

import json

import pytest

from runner.detect.workspace import matches_workspaces, pnpm_workspace_packages
from tests.detect.helpers import pkg, plan

APP = pkg(name="web", build="vite build", devDependencies={"vite": "^6"})
PNPM_LOCK = "lockfileVersion: '9.0'\n"

CASES = [
    (
        "pnpm workspace",
        {
            "package.json": pkg(name="root"),
            "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - packages/*\n",
            "pnpm-lock.yaml": PNPM_LOCK,
        },
        "apps/web",
        ("", "pnpm", "pnpm install --frozen-lockfile"),
    ),
    (
        "npm workspaces",
        {"package.json": pkg(workspaces=["apps/*"]), "package-lock.json": '{"lockfileVersion": 3}'},
        "apps/web",
        ("", "npm", "npm ci"),
    ),
    (
        "yarn 1 workspaces object",
        {
            "package.json": pkg(private=True, workspaces={"packages": ["apps/**"]}),
            "yarn.lock": "# yarn lockfile v1\n",
        },
        "apps/web",
        ("", "yarn", "yarn install --frozen-lockfile"),
    ),
    (
        "bun workspaces",
        {"package.json": pkg(workspaces=["apps/*"]), "bun.lock": '{"lockfileVersion": 1}'},
        "apps/web",
        ("", "bun", "bun install --frozen-lockfile"),
    ),
    (
        "nested path with **",
        {
            "package.json": pkg(workspaces=["apps/**"]),
            "package-lock.json": '{"lockfileVersion": 3}',
        },
        "apps/sites/web",
        ("", "npm", "npm ci"),
    ),
    (
        "excluded by negation",
        {
            "package.json": pkg(workspaces=["apps/*", "!apps/web"]),
            "package-lock.json": '{"lockfileVersion": 3}',
        },
        "apps/web",
        ("apps/web", "npm", "npm install"),
    ),
    (
        "app with its own lockfile inside a workspace repo",
        {
            "pnpm-workspace.yaml": "packages: ['packages/*']\n",
            "pnpm-lock.yaml": PNPM_LOCK,
            "apps/web/package-lock.json": '{"lockfileVersion": 3}',
        },
        "apps/web",
        ("apps/web", "npm", "npm ci"),
    ),
    (
        "member with a stray lockfile of its own installs with the workspace root's",
        {
            "package.json": pkg(packageManager="pnpm@10.2.0"),
            "pnpm-workspace.yaml": "packages:\n  - './*-template'\n",
            "pnpm-lock.yaml": PNPM_LOCK,
            "d1-template/package-lock.json": '{"lockfileVersion": 3}',
        },
        "d1-template",
        ("", "pnpm", "pnpm install --frozen-lockfile"),
    ),
    (
        "member lockfile decides nothing when the workspace root has another manager's",
        {
            "package.json": pkg(workspaces=["apps/*"]),
            "yarn.lock": "# yarn lockfile v1\n",
            "apps/web/package-lock.json": '{"lockfileVersion": 3}',
        },
        "apps/web",
        ("", "yarn", "yarn install --frozen-lockfile"),
    ),
]


@pytest.mark.parametrize(
    ("files", "root", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_workspace_root(files: dict[str, str], root: str, want: tuple) -> None:
    ws_root, name, install = want
    p = plan({f"{root}/package.json": APP, **files}, root)
    assert p.root == root
    assert p.workspace_root == ws_root
    assert p.package_manager.name == name
    assert p.install_command == install
    assert p.build_command.endswith("run build") or p.build_command == "yarn build"


@pytest.mark.parametrize(
    ("tool", "file"), [("turbo", "turbo.json"), ("nx", "nx.json"), ("lerna", "lerna.json")]
)
def test_monorepo_tools_are_recognised(tool: str, file: str) -> None:
    files = {
        "package.json": pkg(workspaces=["apps/*"]),
        "package-lock.json": '{"lockfileVersion": 3}',
        file: "{}",
        "apps/web/package.json": APP,
    }
    p = plan(files, "apps/web")
    assert tool in dict(p.reasons)["monorepo tools"]


def test_package_manager_field_at_the_workspace_root_applies_to_the_app() -> None:
    files = {
        "package.json": pkg(packageManager="pnpm@9.12.3"),
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "pnpm-lock.yaml": PNPM_LOCK,
        "apps/web/package.json": APP,
    }
    p = plan(files, "apps/web")
    assert p.package_manager.version == "9.12.3"
    assert p.package_manager.source == "packageManager in package.json"


def test_root_from_config() -> None:
    files = {
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "pnpm-lock.yaml": PNPM_LOCK,
        "apps/web/package.json": APP,
    }
    p = plan(files, config={"build": {"root": "apps/web"}})
    assert (p.root, p.workspace_root) == ("apps/web", "")


def test_missing_root_is_an_error() -> None:
    from runner.errors import DetectError

    with pytest.raises(DetectError, match="apps/nope does not exist"):
        plan({"package.json": APP}, "apps/nope")


@pytest.mark.parametrize(
    ("text", "globs"),
    [
        (
            "packages:\n  - 'apps/*'\n  - \"libs/*\"\n  - '!**/test/**'\n",
            ["apps/*", "libs/*", "!**/test/**"],
        ),
        ("packages: ['a/*', 'b']\n", ["a/*", "b"]),
        (
            "# comment\npackages:\n  # inner\n  - apps/*  # trailing\ncatalog:\n  react: ^19\n",
            ["apps/*"],
        ),
        ("catalog:\n  react: ^19\n", []),
    ],
)
def test_pnpm_workspace_yaml(text: str, globs: list[str]) -> None:
    assert pnpm_workspace_packages(text) == globs


@pytest.mark.parametrize(
    ("rel", "patterns", "ok"),
    [
        ("apps/web", ["apps/*"], True),
        ("apps/web/x", ["apps/*"], False),
        ("apps/web/x", ["apps/**"], True),
        ("web", ["./web"], True),
        ("apps/web", ["apps/*", "!apps/web"], False),
        ("pkgs/a", ["apps/*"], False),
    ],
)
def test_workspace_globs(rel: str, patterns: list[str], ok: bool) -> None:
    assert matches_workspaces(rel, patterns) is ok


def test_stray_member_lockfile_is_named_in_a_warning() -> None:
    files = {
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "pnpm-lock.yaml": PNPM_LOCK,
        "apps/web/package.json": APP,
        "apps/web/package-lock.json": '{"lockfileVersion": 3}',
    }
    p = plan(files, "apps/web")
    assert p.package_manager.source.startswith("pnpm-lock.yaml")
    stray = [w for w in p.warnings if "apps/web/package-lock.json ignored" in w]
    assert stray and "pnpm-workspace.yaml" in stray[0]
    assert not any("says" in w for w in p.warnings)


def _project(name: str, build: dict) -> str:
    return json.dumps({"name": name, "projectType": "application", "targets": {"build": build}})


NX_ROOT = {
    "package.json": pkg(workspaces=["apps/*"], packageManager="yarn@4.5.0"),
    "yarn.lock": "__metadata:\n  version: 8\n",
    "nx.json": "{}",
}

# (app files, build command, output relative to the app root, framework id)
NX_CASES = [
    (
        "angular executor, outputPath object with an empty browser",
        {
            "apps/shop/project.json": _project(
                "shop",
                {
                    "executor": "@nx/angular:application",
                    "options": {"outputPath": {"base": "dist/apps/shop", "browser": ""}},
                },
            )
        },
        ("yarn nx build shop", "../../dist/apps/shop", "angular"),
    ),
    (
        "application executor, outputPath string gets browser",
        {
            "apps/shop/project.json": _project(
                "shop",
                {"executor": "@angular/build:application", "options": {"outputPath": "dist/shop"}},
            )
        },
        ("yarn nx build shop", "../../dist/shop/browser", "angular"),
    ),
    (
        "inferred target with outputs only",
        {"apps/shop/project.json": _project("store", {"outputs": ["{workspaceRoot}/dist/store"]})},
        ("yarn nx build store", "../../dist/store", None),
    ),
    (
        "outputs under the project root",
        {"apps/shop/project.json": _project("shop", {"outputs": ["{projectRoot}/build"]})},
        ("yarn nx build shop", "build", None),
    ),
]


@pytest.mark.parametrize(("files", "want"), [c[1:] for c in NX_CASES], ids=[c[0] for c in NX_CASES])
def test_nx_build_target(files: dict[str, str], want: tuple) -> None:
    build, output, framework = want
    app = {"apps/shop/package.json": pkg(name="@acme/shop")}
    p = plan({**NX_ROOT, **app, **files}, "apps/shop")
    assert p.workspace_root == ""
    assert p.build_command == build
    assert p.output_dir == output
    assert (p.framework.id if p.framework else None) == framework
    assert not any("no framework recognised" in w for w in p.warnings)


def test_nx_build_script_wins_over_the_target() -> None:
    files = {
        **NX_ROOT,
        "apps/shop/package.json": APP,
        "apps/shop/project.json": _project("shop", {"outputs": ["{workspaceRoot}/dist/x"]}),
    }
    p = plan(files, "apps/shop")
    assert p.build_command == "yarn build"
    assert p.output_dir == "dist"


def test_project_json_without_nx_json_is_not_nx() -> None:
    files = {
        "package.json": pkg(workspaces=["apps/*"]),
        "package-lock.json": '{"lockfileVersion": 3}',
        "apps/shop/package.json": pkg(name="shop"),
        "apps/shop/project.json": _project("shop", {"outputs": ["{workspaceRoot}/dist/x"]}),
    }
    from runner.errors import DetectError

    with pytest.raises(DetectError, match="nothing to build"):
        plan(files, "apps/shop")


@pytest.mark.parametrize(
    ("patterns", "apps"),
    [
        (["apps/*", "packages/*"], "apps/site (Astro), apps/web (Vite)"),
        (["./apps/*", "!apps/web"], "apps/site (Astro)"),
        (["apps/site"], "apps/site (Astro)"),
    ],
)
def test_workspace_root_without_a_framework_names_its_apps(patterns: list[str], apps: str) -> None:
    files = {
        "package.json": pkg(workspaces=patterns, build="turbo run build"),
        "package-lock.json": '{"lockfileVersion": 3}',
        "apps/web/package.json": APP,
        "apps/site/package.json": pkg(name="site", dependencies={"astro": "^5"}),
        "apps/api/package.json": pkg(name="api", build="tsc"),
        "packages/ui/package.json": pkg(name="ui", build="tsup"),
    }
    p = plan(files)
    hint = [w for w in p.warnings if "is a workspace root" in w]
    assert hint and f"its apps: {apps} — pass --root" in hint[0]


def test_single_app_gets_no_workspace_hint() -> None:
    p = plan({"package.json": pkg(build="node build.js"), "package-lock.json": "{}"})
    assert not any("workspace root" in w for w in p.warnings)


def test_nothing_to_build_at_a_workspace_root_points_at_its_apps() -> None:
    from runner.errors import DetectError

    files = {
        "package.json": pkg(name="root"),
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
        "pnpm-lock.yaml": PNPM_LOCK,
        "apps/web/package.json": APP,
    }
    with pytest.raises(DetectError) as err:
        plan(files)
    assert "workspace root (pnpm-workspace.yaml) with apps apps/web (Vite)" in err.value.message
    assert err.value.hint is not None and "--root apps/web" in err.value.hint


@pytest.mark.parametrize(
    ("manager", "lock", "run"),
    [
        ("npm", ("package-lock.json", '{"lockfileVersion": 3}'), "npx turbo"),
        ("pnpm", ("pnpm-lock.yaml", PNPM_LOCK), "pnpm exec turbo"),
        ("yarn", ("yarn.lock", "# yarn lockfile v1\n"), "yarn turbo"),
    ],
)
def test_turbo_builds_the_app_after_the_packages_it_depends_on(manager, lock, run) -> None:
    files = {
        "package.json": pkg(workspaces=["apps/*", "packages/*"], devDependencies={"turbo": "^2"}),
        lock[0]: lock[1],
        "turbo.json": '{"tasks": {"build": {"dependsOn": ["^build"]}}}',
        "apps/web/package.json": APP,
    }
    if manager == "pnpm":
        files["pnpm-workspace.yaml"] = "packages:\n  - apps/*\n  - packages/*\n"
    p = plan(files, "apps/web")
    assert p.build_command == f"{run} run build --filter=web"
    assert "../../.turbo/cache" in p.cache_dirs
    assert "turbo builds web after" in dict(p.reasons)["build"]


@pytest.mark.parametrize(
    "turbo_json",
    [
        '{"pipeline": {"build": {"dependsOn": ["^build"]}}}',  # turbo 1
        '// comments are allowed\n{"tasks": {"web#build": {}}}',
    ],
)
def test_turbo_tasks_of_either_turbo_version_are_read(turbo_json: str) -> None:
    files = {
        "package.json": pkg(workspaces=["apps/*"], devDependencies={"turbo": "^1"}),
        "package-lock.json": '{"lockfileVersion": 3}',
        "turbo.json": turbo_json,
        "apps/web/package.json": APP,
    }
    assert plan(files, "apps/web").build_command == "npx turbo run build --filter=web"


@pytest.mark.parametrize(
    ("root_deps", "turbo_json"),
    [
        ({}, '{"tasks": {"build": {}}}'),  # turbo.json, but turbo is not installed
        ({"turbo": "^2"}, '{"tasks": {"lint": {}}}'),  # no build task to run
    ],
)
def test_without_turbo_or_its_build_task_the_apps_script_runs_alone(
    root_deps: dict, turbo_json: str
) -> None:
    files = {
        "package.json": pkg(workspaces=["apps/*"], devDependencies=root_deps),
        "package-lock.json": '{"lockfileVersion": 3}',
        "turbo.json": turbo_json,
        "apps/web/package.json": APP,
    }
    p = plan(files, "apps/web")
    assert p.build_command == "npm run build"
    assert "the app's build script runs alone" in dict(p.reasons)["turbo"]
    assert not any("turbo" in c for c in p.cache_dirs)
