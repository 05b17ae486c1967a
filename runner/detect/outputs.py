"""Output directories set in framework config files and build scripts, read statically.

Nothing is executed: each reader looks for a literal string value of the one option that
moves the output (``outDir``, ``distDir``, ``outputPath``, ``publishDir``, ``site_dir`` …)
and gives up (returns None) when the value is computed.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from runner.detect.files import first_existing, join, read_config_json, strip_comments
from runner.detect.tree import Tree

_STR = r"""(?P<q>['"`])(?P<v>[^'"`$]+)(?P=q)"""


def _norm(path: str) -> str:
    p = posixpath.normpath(path.strip())
    return "" if p == "." else p


def literal(source: str, key: str) -> str | None:
    """The first ``key: "literal"`` (or ``key = "literal"``) in JS/TS source, comments removed."""
    m = re.search(rf"(?<![\w$.]){re.escape(key)}['\"]?\s*[:=]\s*{_STR}", strip_comments(source))
    return m.group("v") if m else None


def read_config(tree: Tree, root: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """(tree path, text) of the first existing config file among ``names``."""
    path = first_existing(tree, root, names)
    if path is None:
        return None
    return path, tree.read_text(path) or ""


VITE_CONFIGS = tuple(f"vite.config.{ext}" for ext in ("ts", "js", "mjs", "mts", "cjs", "cts"))
ASTRO_CONFIGS = tuple(f"astro.config.{ext}" for ext in ("mjs", "ts", "js", "mts", "cjs"))
NEXT_CONFIGS = tuple(f"next.config.{ext}" for ext in ("js", "mjs", "ts", "cjs", "mts"))


def vite_out_dir(tree: Tree, root: str) -> tuple[str, str] | None:
    """(outDir relative to the app root, file) from ``build.outDir`` and ``root``."""
    cfg = read_config(tree, root, VITE_CONFIGS)
    if cfg is None:
        return None
    path, text = cfg
    out = literal(text, "outDir")
    vroot = literal(text, "root")
    if out is None and vroot is None:
        return None
    return _norm(posixpath.join(vroot or "", out or "dist")), path


def astro_out_dir(tree: Tree, root: str) -> tuple[str, str] | None:
    cfg = read_config(tree, root, ASTRO_CONFIGS)
    if cfg is None:
        return None
    out = literal(cfg[1], "outDir")
    return (_norm(out), cfg[0]) if out else None


def next_output(tree: Tree, root: str) -> tuple[str, str, bool] | None:
    """(output dir, file, static export?) from ``output: 'export'`` and ``distDir``."""
    cfg = read_config(tree, root, NEXT_CONFIGS)
    if cfg is None:
        return None
    path, text = cfg
    export = literal(text, "output") == "export"
    dist = literal(text, "distDir")
    if export:
        # With a static export, next build writes the site to distDir when it is set, else out.
        return _norm(dist) if dist else "out", path, True
    if dist:
        return _norm(dist), path, False
    return None


def angular_output(tree: Tree, root: str) -> tuple[str, str] | None:
    """The browser output of the default (or first application) project in angular.json."""
    path = join(root, "angular.json")
    data = read_config_json(tree, path)
    if data is None:
        return None
    projects = data.get("projects")
    if not isinstance(projects, dict) or not projects:
        return None
    name = data.get("defaultProject")
    if name not in projects:
        apps = [
            n
            for n, p in projects.items()
            if isinstance(p, dict) and p.get("projectType", "application") == "application"
        ]
        name = apps[0] if apps else next(iter(projects))
    project = projects[name] if isinstance(projects[name], dict) else {}
    targets = project.get("architect") or project.get("targets") or {}
    build = targets.get("build") if isinstance(targets, dict) else None
    if not isinstance(build, dict):
        return None
    builder = str(build.get("builder", ""))
    options = build.get("options") if isinstance(build.get("options"), dict) else {}
    out: Any = options.get("outputPath")
    application = builder.endswith(":application")
    if out is None:
        return (f"dist/{name}/browser" if application else f"dist/{name}"), path
    if isinstance(out, dict):
        base = _norm(str(out.get("base", f"dist/{name}")))
        browser = out.get("browser", "browser")
        return (join(base, str(browser)) if browser else base), path
    out = _norm(str(out))
    return (join(out, "browser") if application else out), path


def hugo_publish_dir(path: str, text: str) -> str | None:
    """``publishDir`` from a Hugo config in TOML, YAML or JSON."""
    m = re.search(r"""^\s*["']?publishDir["']?\s*[:=]\s*["']?([^"'\s,#]+)""", text, re.M)
    return _norm(m.group(1)) if m else None


def mkdocs_site_dir(text: str) -> str | None:
    m = re.search(r"""^site_dir\s*:\s*["']?([^"'\s#]+)""", text, re.M)
    return _norm(m.group(1)) if m else None


def eleventy_output(tree: Tree, root: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    cfg = read_config(tree, root, names)
    if cfg is None:
        return None
    m = re.search(rf"\bdir\s*:\s*{{[^}}]*?\boutput\s*:\s*{_STR}", strip_comments(cfg[1]), re.S)
    return (_norm(m.group("v")), cfg[0]) if m else None


def svelte_pages(tree: Tree, root: str) -> tuple[str, str] | None:
    """adapter-static's ``pages`` directory from svelte.config.js."""
    cfg = read_config(tree, root, ("svelte.config.js", "svelte.config.mjs", "svelte.config.ts"))
    if cfg is None or "adapter-static" not in cfg[1]:
        return None
    pages = literal(cfg[1], "pages")
    return (_norm(pages) if pages else "build"), cfg[0]


#: Where each official SvelteKit adapter writes the files it serves (adapter-node and
#: adapter-netlify write ``build``, the framework default).
SVELTE_ADAPTER_OUTPUT = {
    "cloudflare": ".svelte-kit/cloudflare",
    "vercel": ".vercel/output/static",
}


def svelte_adapter(tree: Tree, root: str) -> str | None:
    cfg = read_config(tree, root, ("svelte.config.js", "svelte.config.mjs", "svelte.config.ts"))
    if cfg is None:
        return None
    m = re.search(r"@sveltejs/adapter-([a-z-]+)", cfg[1])
    return m.group(1) if m else None


def svelte_node_out(tree: Tree, root: str) -> str | None:
    """adapter-node's ``out`` option, when it is a literal."""
    cfg = read_config(tree, root, ("svelte.config.js", "svelte.config.mjs", "svelte.config.ts"))
    out = literal(cfg[1], "out") if cfg else None
    return _norm(out) if out else None


def vue_output_dir(tree: Tree, root: str) -> tuple[str, str] | None:
    cfg = read_config(tree, root, ("vue.config.js", "vue.config.cjs", "vue.config.mjs"))
    if cfg is None:
        return None
    out = literal(cfg[1], "outputDir")
    return (_norm(out), cfg[0]) if out else None


#: Flags that move the output in a framework's build command line.
_FLAGS: dict[str, tuple[str, ...]] = {
    "vite": ("--outDir",),
    "astro": ("--outDir",),
    "docusaurus": ("--out-dir",),
    "eleventy": ("--output",),
    "hugo": ("-d", "--destination"),
    "mkdocs": ("-d", "--site-dir"),
    "vitepress": ("--outDir",),
}


def script_out_dir(script: str, tool: str) -> str | None:
    """An output flag of ``tool`` in a build script (``vite build --outDir build``)."""
    try:
        words = shlex.split(script)
    except ValueError:
        words = script.split()
    flags = _FLAGS.get(tool, ())
    seen_tool = False
    for i, word in enumerate(words):
        if word in ("&&", "||", ";", "|"):
            seen_tool = False
        if tool in posixpath.basename(word):
            seen_tool = True
        if not seen_tool:
            continue
        for flag in flags:
            if word == flag and i + 1 < len(words):
                return _norm(words[i + 1])
            if word.startswith(flag + "="):
                return _norm(word.split("=", 1)[1])
    return None


def vitepress_root(script: str | None, tree: Tree, root: str) -> str:
    """The VitePress project dir: the argument of ``vitepress build X``, else ``docs``/``.``."""
    if script:
        m = re.search(r"vitepress\s+build(?:\s+(?!-)(\S+))?", script)
        if m:
            return _norm(m.group(1) or "")
    for cand in ("docs", "", "website"):
        if tree.is_dir(join(root, cand, ".vitepress")):
            return cand
    return "docs" if tree.is_dir(join(root, "docs")) else ""


#: Nitro presets (Nuxt, SolidStart, TanStack Start) that serve files from somewhere other
#: than ``.output/public``, by prefix.
_NITRO_PUBLIC = (
    ("netlify", "dist"),
    ("cloudflare-pages", "dist"),
    ("cloudflare_pages", "dist"),
    ("vercel", ".vercel/output/static"),
)


def nitro_preset(tree: Tree, root: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """(preset, file) of a literal Nitro ``preset`` in the first existing config file."""
    cfg = read_config(tree, root, names)
    preset = literal(cfg[1], "preset") if cfg else None
    return (preset, cfg[0]) if preset and cfg else None


def nitro_public_dir(preset: str) -> str:
    """Where a Nitro preset puts the static files it serves."""
    return next((out for pre, out in _NITRO_PUBLIC if preset.startswith(pre)), ".output/public")


NUXT_CONFIGS = ("nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs")
APP_CONFIGS = ("app.config.ts", "app.config.js", "app.config.mjs")
