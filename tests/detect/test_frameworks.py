# ruff: noqa: E501  (table rows hold whole config files)
"""Framework detection, default commands, output directories (static config) and caches."""

from __future__ import annotations

import json

import pytest

from runner.detect.frameworks import FRAMEWORKS
from tests.detect.helpers import pkg, plan

LOCK = {"package-lock.json": '{"lockfileVersion": 3, "packages": {}}'}


def deps(*names: str, **fields) -> str:
    return pkg(dependencies={n: "^1.0.0" for n in names}, **fields)


# id, package.json deps, extra files, (framework id, build, output, cache)
CASES = [
    ("next", ["next", "react"], {}, ("nextjs", "npx next build", ".next", ".next/cache")),
    ("astro", ["astro"], {}, ("astro", "npx astro build", "dist", "node_modules/.astro")),
    ("gatsby", ["gatsby"], {}, ("gatsby", "npx gatsby build", "public", ".cache")),
    ("vite", ["vite"], {}, ("vite", "npx vite build", "dist", "node_modules/.vite")),
    (
        "sveltekit",
        ["@sveltejs/kit", "vite"],
        {},
        ("sveltekit", "npx vite build", ".svelte-kit/output", "node_modules/.cache/imagetools"),
    ),
    (
        "nuxt 3",
        ["nuxt", "vite"],
        {},
        ("nuxt", "npx nuxt build", ".output/public", "node_modules/.cache/nuxt"),
    ),
    (
        "remix classic",
        ["@remix-run/dev"],
        {},
        ("remix", "npx remix build", "public/build", ".cache"),
    ),
    (
        "remix vite",
        ["@remix-run/dev", "vite"],
        {"vite.config.ts": "import { vitePlugin as remix } from '@remix-run/dev'\n"},
        ("remix", "npx remix vite:build", "build/client", ".cache"),
    ),
    (
        "react router 7",
        ["@react-router/dev", "vite"],
        {},
        ("react-router", "npx react-router build", "build/client", ".react-router"),
    ),
    (
        "docusaurus",
        ["@docusaurus/core"],
        {},
        ("docusaurus", "npx docusaurus build", "build", ".docusaurus"),
    ),
    ("eleventy", ["@11ty/eleventy"], {}, ("eleventy", "npx eleventy", "_site", ".cache")),
    (
        "angular",
        ["@angular/cli", "@angular/core"],
        {},
        ("angular", "npx ng build", "dist", ".angular/cache"),
    ),
    (
        "vitepress",
        ["vitepress"],
        {"docs/.vitepress/config.mts": "export default {}"},
        ("vitepress", "npx vitepress build docs", "docs/.vitepress/dist", "docs/.vitepress/cache"),
    ),
    (
        "vitepress at root",
        ["vitepress"],
        {".vitepress/config.mts": "export default {}"},
        ("vitepress", "npx vitepress build", ".vitepress/dist", ".vitepress/cache"),
    ),
    (
        "create react app",
        ["react-scripts"],
        {},
        ("create-react-app", "npx react-scripts build", "build", "node_modules/.cache"),
    ),
    (
        "vue cli",
        ["@vue/cli-service"],
        {},
        ("vue-cli", "npx vue-cli-service build", "dist", "node_modules/.cache"),
    ),
    (
        "solidstart",
        ["@solidjs/start", "vite"],
        {},
        ("solidstart", "npx vinxi build", ".output/public", None),
    ),
    (
        "qwik",
        ["@builder.io/qwik-city", "@builder.io/qwik", "vite"],
        {},
        ("qwik", "npx qwik build", "dist", None),
    ),
    (
        "nuxt 2",
        [],
        {"package.json": pkg(dependencies={"nuxt": "^2.15.8"})},
        ("nuxt", "npx nuxt generate", "dist", None),
    ),
    (
        "nuxt nitro preset vercel",
        ["nuxt"],
        {"nuxt.config.ts": "export default defineNuxtConfig({ nitro: { preset: 'vercel' } })"},
        ("nuxt", "npx nuxt build", ".vercel/output/static", None),
    ),
    (
        "nuxt nitro preset cloudflare-pages",
        ["nuxt"],
        {
            "nuxt.config.ts": "export default defineNuxtConfig({ nitro: { preset: 'cloudflare-pages' } })"
        },
        ("nuxt", "npx nuxt build", "dist", None),
    ),
    (
        "solidstart 1 with a server preset",
        ["@solidjs/start"],
        {"app.config.ts": "export default defineConfig({ server: { preset: 'netlify' } })"},
        ("solidstart", "npx vinxi build", "dist", None),
    ),
    (
        "solidstart 2 builds with vite",
        [],
        {"package.json": pkg(dependencies={"@solidjs/start": "2.0.0", "vite": "^7"})},
        ("solidstart", "npx vite build", ".output/public", None),
    ),
    (
        "solidstart 2 with the nitro plugin's netlify preset",
        [],
        {
            "package.json": pkg(dependencies={"@solidjs/start": "^2.1.0", "vite": "^7"}),
            "vite.config.ts": "import { nitro } from 'nitro/vite'\nexport default { plugins: [nitro({ preset: 'netlify' })] }",
        },
        ("solidstart", "npx vite build", "dist", None),
    ),
    (
        "tanstack start",
        ["@tanstack/react-start", "vite"],
        {},
        ("tanstack-start", "npx vite build", "dist/client", "node_modules/.vite"),
    ),
    (
        "tanstack start with the nitro plugin",
        ["@tanstack/react-start", "vite"],
        {
            "vite.config.ts": "import { nitro } from 'nitro/vite'\nexport default { plugins: [nitro()] }"
        },
        ("tanstack-start", "npx vite build", ".output/public", None),
    ),
    (
        "tanstack start on vinxi",
        ["@tanstack/react-start"],
        {
            "app.config.ts": "import { defineConfig } from '@tanstack/react-start/config'\nexport default defineConfig({})"
        },
        ("tanstack-start", "npx vinxi build", ".output/public", None),
    ),
]


@pytest.mark.parametrize(
    ("names", "files", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_framework_defaults(names: list[str], files: dict[str, str], want: tuple) -> None:
    fid, build, output, cache = want
    p = plan({"package.json": deps(*names), **LOCK, **files})
    assert p.framework is not None and p.framework.id == fid
    assert p.build_command == build
    assert p.output_dir == output
    if cache:
        assert cache in p.cache_dirs


def test_every_framework_in_the_table_is_covered() -> None:
    covered = {c[3][0] for c in CASES} | {"hugo", "mkdocs", "sphinx"}
    assert {s.id for s in FRAMEWORKS} <= covered


@pytest.mark.parametrize(
    "meta",
    [
        "astro",
        "@sveltejs/kit",
        "nuxt",
        "@react-router/dev",
        "vitepress",
        "@solidjs/start",
        "@remix-run/dev",
        "@builder.io/qwik-city",
        "@tanstack/react-start",
    ],
)
def test_meta_frameworks_supersede_vite(meta: str) -> None:
    p = plan({"package.json": pkg(devDependencies={"vite": "^6", meta: "^1"}), **LOCK})
    assert p.framework is not None and p.framework.id != "vite"


def test_build_script_beats_the_framework_default() -> None:
    p = plan({"package.json": pkg(build="astro check && astro build", deps=["astro"]), **LOCK})
    assert p.build_command == "npm run build"
    assert p.framework.id == "astro"
    assert ("build", "build script in package.json") in p.reasons


def test_config_file_alone_detects_a_framework() -> None:
    p = plan({"package.json": pkg(build="x"), "next.config.mjs": "export default {}", **LOCK})
    assert p.framework.id == "nextjs"
    assert p.framework.source == "next.config.mjs"


def test_config_build_command_and_output_win() -> None:
    cfg = {
        "build": {
            "build_command": "make site",
            "output_dir": "./public/",
            "install_command": "npm i",
        }
    }
    p = plan({"package.json": deps("vite"), **LOCK}, config=cfg)
    assert (p.build_command, p.output_dir, p.install_command) == ("make site", "public", "npm i")


# ---- output directories read from config files ------------------------------------------

OUTPUTS = [
    (
        "vite outDir",
        ["vite"],
        {"vite.config.ts": "export default defineConfig({ build: { outDir: 'build' } })"},
        "build",
    ),
    (
        "vite outDir with root",
        ["vite"],
        {"vite.config.js": "export default { root: 'src', build: { outDir: '../out' } }"},
        "out",
    ),
    ("vite root only", ["vite"], {"vite.config.js": "export default { root: 'web' }"}, "web/dist"),
    (
        "vite commented",
        ["vite"],
        {"vite.config.js": "export default { build: { /* outDir: 'no' */ } }"},
        "dist",
    ),
    (
        "vite script flag",
        ["vite"],
        {"package.json": pkg(build="tsc && vite build --outDir public", deps=["vite"])},
        "public",
    ),
    (
        "astro outDir",
        ["astro"],
        {"astro.config.mjs": "export default defineConfig({\n  outDir: './build',\n})"},
        "build",
    ),
    ("next export", ["next"], {"next.config.js": "module.exports = { output: 'export' }"}, "out"),
    (
        "next export distDir",
        ["next"],
        {"next.config.mjs": 'const c = { output: "export", distDir: "site" }\nexport default c'},
        "site",
    ),
    (
        "next distDir",
        ["next"],
        {"next.config.js": "module.exports = { distDir: 'build' }"},
        "build",
    ),
    (
        "next export script",
        ["next"],
        {"package.json": pkg(build="next build && next export", deps=["next"])},
        "out",
    ),
    (
        "docusaurus out-dir",
        ["@docusaurus/core"],
        {"package.json": pkg(build="docusaurus build --out-dir public", deps=["@docusaurus/core"])},
        "public",
    ),
    (
        "eleventy dir.output",
        ["@11ty/eleventy"],
        {
            "eleventy.config.js": 'export default function () { return { dir: { input: "src", output: "dist" } } }'
        },
        "dist",
    ),
    (
        "eleventy flag",
        ["@11ty/eleventy"],
        {"package.json": pkg(build="eleventy --output=public", deps=["@11ty/eleventy"])},
        "public",
    ),
    (
        "sveltekit adapter-static",
        ["@sveltejs/kit"],
        {
            "svelte.config.js": "import adapter from '@sveltejs/adapter-static';\nexport default { kit: { adapter: adapter({ pages: 'public' }) } }"
        },
        "public",
    ),
    (
        "sveltekit adapter-static default",
        ["@sveltejs/kit"],
        {
            "svelte.config.js": "import adapter from '@sveltejs/adapter-static';\nexport default { kit: { adapter: adapter() } }"
        },
        "build",
    ),
    (
        "sveltekit cloudflare",
        ["@sveltejs/kit"],
        {"svelte.config.js": "import adapter from '@sveltejs/adapter-cloudflare';"},
        ".svelte-kit/cloudflare",
    ),
    (
        "sveltekit vercel",
        ["@sveltejs/kit"],
        {
            "svelte.config.js": "import adapter from '@sveltejs/adapter-vercel';\nexport default { kit: { adapter: adapter() } }"
        },
        ".vercel/output/static",
    ),
    (
        "sveltekit node",
        ["@sveltejs/kit"],
        {
            "svelte.config.js": "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter() } }"
        },
        "build",
    ),
    (
        "sveltekit node out",
        ["@sveltejs/kit"],
        {
            "svelte.config.js": "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter({ out: 'server' }) } }"
        },
        "server",
    ),
    (
        "sveltekit netlify",
        ["@sveltejs/kit"],
        {"svelte.config.js": "import adapter from '@sveltejs/adapter-netlify';"},
        "build",
    ),
    (
        "vue outputDir",
        ["@vue/cli-service"],
        {"vue.config.js": "module.exports = { outputDir: 'www' }"},
        "www",
    ),
    (
        "vitepress outDir",
        ["vitepress"],
        {"docs/.vitepress/config.ts": "export default { outDir: '../public' }"},
        "public",
    ),
]


@pytest.mark.parametrize(
    ("names", "files", "output"), [c[1:] for c in OUTPUTS], ids=[c[0] for c in OUTPUTS]
)
def test_output_dir_from_config(names: list[str], files: dict[str, str], output: str) -> None:
    p = plan({"package.json": deps(*names), **LOCK, **files})
    assert p.output_dir == output


def angular(builder: str, output_path: object | None) -> str:
    options = {} if output_path is None else {"outputPath": output_path}
    return json.dumps(
        {
            "projects": {
                "shop": {
                    "projectType": "application",
                    "architect": {"build": {"builder": builder, "options": options}},
                }
            }
        }
    )


@pytest.mark.parametrize(
    ("builder", "output_path", "output"),
    [
        ("@angular-devkit/build-angular:application", "dist/shop", "dist/shop/browser"),
        ("@angular/build:application", "dist/shop", "dist/shop/browser"),
        ("@angular/build:application", None, "dist/shop/browser"),
        ("@angular/build:application", {"base": "out", "browser": ""}, "out"),
        ("@angular/build:application", {"base": "out", "browser": "app"}, "out/app"),
        ("@angular-devkit/build-angular:browser", "dist/shop", "dist/shop"),
        ("@angular-devkit/build-angular:browser", None, "dist/shop"),
    ],
)
def test_angular_output_path(builder: str, output_path: object, output: str) -> None:
    files = {
        "package.json": deps("@angular/cli"),
        "angular.json": angular(builder, output_path),
        **LOCK,
    }
    assert plan(files).output_dir == output


# ---- non-Node frameworks ----------------------------------------------------------------

HUGO = [
    ({"hugo.toml": 'baseURL = "https://example.org/"\n'}, "public"),
    ({"hugo.toml": 'baseURL = "/"\npublishDir = "docs"\n'}, "docs"),
    ({"hugo.yaml": "baseURL: /\npublishDir: site\n"}, "site"),
    ({"config.toml": 'baseURL = "/"\ntitle = "x"\n'}, "public"),
    ({"config/_default/hugo.toml": 'title = "x"\n'}, "public"),
]


@pytest.mark.parametrize(("files", "output"), HUGO)
def test_hugo(files: dict[str, str], output: str) -> None:
    p = plan(files)
    assert p.framework.id == "hugo"
    assert p.build_command == "hugo"
    assert p.output_dir == output
    assert "resources/_gen" in p.cache_dirs


def test_config_toml_without_baseurl_is_not_hugo() -> None:
    with pytest.raises(Exception, match="nothing to build"):
        plan({"config.toml": "[tool]\nx = 1\n"})


def test_hugo_version_from_env() -> None:
    p = plan({"hugo.toml": "baseURL = '/'"}, env={"HUGO_VERSION": "v0.140.0"})
    assert p.runtime("hugo").version == "0.140.0"


@pytest.mark.parametrize(
    ("files", "install", "build", "output"),
    [
        (
            {"mkdocs.yml": "site_name: D\n", "requirements.txt": "mkdocs\n"},
            "python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.txt",
            ".venv/bin/python -m mkdocs build",
            "site",
        ),
        (
            {"mkdocs.yml": "site_name: D\nsite_dir: 'public'\n", "requirements.txt": "mkdocs\n"},
            "python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.txt",
            ".venv/bin/python -m mkdocs build",
            "public",
        ),
        (
            {
                "mkdocs.yml": "site_name: D\n",
                "uv.lock": "version = 1\n",
                "pyproject.toml": '[project]\nname = "d"\n',
            },
            "python3 -m venv .venv && .venv/bin/python -m pip install uv && .venv/bin/uv sync --locked --inexact",
            ".venv/bin/python -m mkdocs build",
            "site",
        ),
        (
            {
                "mkdocs.yml": "site_name: D\n",
                "poetry.lock": "",
                "pyproject.toml": "[tool.poetry]\nname = 'd'\n",
            },
            "python3 -m venv .venv && .venv/bin/python -m pip install poetry && . .venv/bin/activate && poetry install --no-root",
            ".venv/bin/python -m mkdocs build",
            "site",
        ),
        (
            {
                "mkdocs.yml": "site_name: D\n",
                "Pipfile": "[packages]\nmkdocs = '*'\n",
                "Pipfile.lock": "{}",
            },
            "python3 -m venv .venv && .venv/bin/python -m pip install pipenv && . .venv/bin/activate && pipenv install --system --deploy",
            ".venv/bin/python -m mkdocs build",
            "site",
        ),
        (
            {
                "docs/conf.py": "project = 'x'\nextensions = []\n",
                "docs/requirements.txt": "sphinx\n",
            },
            "python3 -m venv .venv && .venv/bin/python -m pip install -r docs/requirements.txt",
            ".venv/bin/python -m sphinx -M html docs docs/_build",
            "docs/_build/html",
        ),
        (
            {"docs/source/conf.py": "project = 'x'\n", "requirements.txt": "sphinx\n"},
            "python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.txt",
            ".venv/bin/python -m sphinx -M html docs/source docs/build",
            "docs/build/html",
        ),
    ],
)
def test_python_docs(files: dict[str, str], install: str, build: str, output: str) -> None:
    p = plan(files)
    assert p.install_command == install
    assert p.build_command == build
    assert p.output_dir == output
    assert p.runtime("python") is not None


def test_mkdocs_missing_from_requirements_warns() -> None:
    p = plan({"mkdocs.yml": "site_name: D\n", "requirements.txt": "requests\n"})
    assert any("mkdocs is not listed" in w for w in p.warnings)


# ---- Cloudflare Workers -----------------------------------------------------------------


@pytest.mark.parametrize("config", ["wrangler.toml", "wrangler.json", "wrangler.jsonc"])
def test_workers_project(config: str) -> None:
    files = {
        "package.json": pkg(devDependencies={"wrangler": "^4"}),
        config: "name = 'w'\n",
        **LOCK,
    }
    p = plan(files)
    assert p.framework.id == "cloudflare-workers"
    assert p.build_command == "npx wrangler deploy --dry-run --outdir dist"
    assert p.output_dir == "dist"


def test_workers_through_pnpm_with_a_build_script() -> None:
    files = {
        "package.json": pkg(build="tsc", devDependencies={"wrangler": "^4"}),
        "wrangler.toml": "name = 'w'\n",
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    }
    p = plan(files)
    assert p.build_command == "pnpm run build && pnpm exec wrangler deploy --dry-run --outdir dist"


def test_workers_build_script_that_runs_wrangler_itself() -> None:
    files = {
        "package.json": pkg(
            build="wrangler deploy --dry-run --outdir out", devDependencies={"wrangler": "^4"}
        ),
        "wrangler.jsonc": "{ // comment\n}",
        **LOCK,
    }
    p = plan(files)
    assert (p.build_command, p.output_dir) == ("npm run build", "out")


def test_a_framework_beats_a_wrangler_config() -> None:
    files = {"package.json": deps("astro"), "wrangler.jsonc": "{}", **LOCK}
    assert plan(files).framework.id == "astro"


# ---- nothing to build -------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {"package.json": pkg(name="lib", dependencies={"lodash": "^4"}), **LOCK},
        {"README.md": "hello"},
        {"requirements.txt": "flask\n"},
    ],
)
def test_nothing_to_build(files: dict[str, str]) -> None:
    from runner.errors import DetectError

    with pytest.raises(DetectError) as err:
        plan(files)
    assert "nothing to build" in err.value.message
    assert '"build" script' in err.value.hint and "build_command" in err.value.hint


def test_build_script_without_a_framework_assumes_dist_and_warns() -> None:
    p = plan({"package.json": pkg(build="rollup -c"), **LOCK})
    assert p.framework is None and p.output_dir == "dist"
    assert any("output_dir" in w for w in p.warnings)


@pytest.mark.parametrize(
    ("package", "reason"),
    [
        (
            pkg(build="hugo --minify", devDependencies={"hugo-extended": "0.139.0"}),
            "hugo-extended 0.139.0 in package.json",
        ),
        (pkg(devDependencies={"hugo-extended": "0.139.0"}), "the image's hugo"),
        (pkg(build="hugo --minify"), "the image's hugo"),
    ],
)
def test_hugo_binary_source(package: str, reason: str) -> None:
    p = plan({"hugo.toml": 'baseURL = "/"\n', "package.json": package, **LOCK})
    assert p.framework is not None and p.framework.id == "hugo"
    assert reason in dict(p.reasons)["hugo"]
