"""Detection: a pure function from a source tree to a :class:`~runner.models.Plan`.

``install_command`` runs in ``plan.workspace_root``; ``build_command`` in ``plan.root``.
Explicit settings (``pitstop.toml`` ``[build]``, then environment variables) win over
everything found in the tree, and every decision records its source in ``plan.reasons``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from runner.detect import delegate, hosts, nx, outputs, pm, python, resolve
from runner.detect import frameworks as fw
from runner.detect.files import (
    ancestors,
    display,
    first_existing,
    join,
    parse_toml,
    read_config_json,
    read_package_json,
)
from runner.detect.resolve import VersionUnavailable
from runner.detect.tree import Tree
from runner.detect.workspace import Workspace, find_workspace, member_dirs
from runner.errors import DetectError
from runner.models import Framework, PackageManager, Plan, Runtime
from runner.versions import DEFAULT_NODE_VERSION

__all__ = ["CONFIG_KEYS", "VersionUnavailable", "load_config", "plan_for"]

#: Keys of ``[build]`` in pitstop.toml.
CONFIG_KEYS = {
    "install_command": str,
    "build_command": str,
    "output_dir": str,
    "package_manager": str,
    "node_version": str,
    "python_version": str,
    "root": str,
}


def load_config(tree: Tree, root: str = "") -> dict[str, Any]:
    """``pitstop.toml`` from the app root, else the repository root ({} when absent)."""
    for folder in dict.fromkeys((root, "")):
        path = join(folder, "pitstop.toml")
        text = tree.read_text(path)
        if text is not None:
            return parse_toml(path, text)
    return {}


def _build_table(config: Mapping[str, Any] | None) -> dict[str, Any]:
    if not config:
        return {}
    table = config.get("build", config) if isinstance(config.get("build"), dict) else config
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            continue
        if not isinstance(value, CONFIG_KEYS[key]):
            raise DetectError(
                f"pitstop.toml [build] {key} must be a string, not {type(value).__name__}",
                f'write {key} = "..."',
            )
        if value.strip():
            out[key] = value.strip()
    return out


def _norm_root(root: str) -> str:
    p = posixpath.normpath(root.strip().strip("/")) if root.strip() not in ("", ".", "./") else ""
    if p.startswith(".."):
        raise DetectError(f"app root {root!r} is outside the repository", "pass a relative path")
    return "" if p == "." else p


def _deps(pkg: Mapping[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("devDependencies", "dependencies"):
        section = pkg.get(key) if pkg else None
        if isinstance(section, dict):
            out.update({k: str(v) for k, v in section.items()})
    return out


def _hugo_config(tree: Tree, root: str) -> str | None:
    found = first_existing(tree, root, ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"))
    if found:
        return found
    for name in fw.HUGO_LEGACY:
        path = join(root, name)
        text = tree.read_text(path)
        if text is not None and re.search(
            r"""^\s*["']?baseur[li]["']?\s*[:=]""", text, re.M | re.I
        ):
            return path
    for name in ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml"):
        if tree.is_file(join(root, "config", "_default", name)):
            return join(root, "config", "_default", name)
    return None


def _sphinx_conf(tree: Tree, root: str) -> str | None:
    for rel in next(s for s in fw.FRAMEWORKS if s.id == "sphinx").files:
        path = join(root, rel)
        text = tree.read_text(path)
        if text is not None and (rel != "conf.py" or re.search(r"sphinx|extensions|html_", text)):
            return path
    return None


def detect_framework(
    tree: Tree, root: str, pkg: Mapping[str, Any] | None, script: str | None
) -> tuple[fw.Spec | None, str]:
    """(framework spec, why) — dependencies first (table order), then config files."""
    deps = _deps(pkg)
    where = join(root, "package.json")
    for spec in fw.FRAMEWORKS:
        hit = next((d for d in spec.deps if d in deps), None)
        if hit:
            return spec, f"{hit} in {where}"
    for spec in fw.FRAMEWORKS:
        if spec.id == "hugo":
            path = _hugo_config(tree, root)
        elif spec.id == "sphinx":
            path = _sphinx_conf(tree, root)
        else:
            path = first_existing(tree, root, spec.files)
        if path:
            return spec, path
    if script:
        for spec, binary in ((_spec("hugo"), "hugo"), (_spec("mkdocs"), "mkdocs")):
            if re.search(rf"(^|[\s;&|]){binary}(\s|$)", script):
                return spec, f"build script runs {binary}"
    return None, ""


def _member_apps(tree: Tree, ws: Workspace, limit: int = 6) -> list[tuple[str, str]]:
    """(path, framework name) of workspace members with a recognised framework."""
    apps = []
    for path in member_dirs(tree, ws):
        try:
            member = read_package_json(tree, join(path, "package.json"))
            spec, _ = detect_framework(tree, path, member, None)
        except DetectError:
            continue
        if spec is not None:
            apps.append((path, spec.name))
        if len(apps) >= limit:
            break
    return apps


def _spec(fid: str) -> fw.Spec:
    return fw.BY_ID[fid]


def _node_runtime(
    tree: Tree,
    root: str,
    ws: Workspace,
    env: Mapping[str, str],
    cfg: Mapping[str, str],
    pkg: Mapping[str, Any] | None,
    hosted: hosts.HostedEnv,
) -> tuple[Runtime, list[str]]:
    warnings: list[str] = []
    request: tuple[str, str] | None = None
    if env.get("NODE_VERSION"):
        request = (env["NODE_VERSION"], "NODE_VERSION")
    elif cfg.get("node_version"):
        request = (cfg["node_version"], "node_version in pitstop.toml")
    elif hosted.request("NODE_VERSION"):
        request = hosted.request("NODE_VERSION")
    else:
        for folder in ancestors(root):
            found: list[tuple[str, str]] = []
            for name in (".nvmrc", ".node-version"):
                path = join(folder, name)
                text = tree.read_text(path)
                if text is not None and resolve.clean_request(text):
                    found.append((resolve.clean_request(text), path))
            if len(found) == 2 and found[0][0].lstrip("v") != found[1][0].lstrip("v"):
                warnings.append(
                    f"{found[0][1]} asks for {found[0][0]} but {found[1][1]} for {found[1][0]}; "
                    f"using {found[0][1]}"
                )
            if found:
                request = found[0]
                break
            path = join(folder, ".tool-versions")
            text = tree.read_text(path)
            if text is not None:
                v = python._tool_versions(text, ("nodejs", "node"))
                if v:
                    request = (v, path)
                    break
        if request is None:
            for p, where in (
                (pkg, join(root, "package.json")),
                (ws.package, join(ws.root, "package.json")),
            ):
                eng = p.get("engines") if p else None
                if isinstance(eng, dict) and isinstance(eng.get("node"), str):
                    request = (eng["node"], f"engines.node in {where}")
                    break
    if request is None:
        return Runtime("node", DEFAULT_NODE_VERSION, "pitstop default (current LTS)"), warnings
    res = resolve.resolve_node(request[0], request[1])
    if res.warning:
        warnings.append(res.warning)
    source = request[1] + (f" ({res.note})" if res.note else "")
    return Runtime("node", res.version, source), warnings


def _node_output(
    spec: fw.Spec, tree: Tree, root: str, script: str | None, deps: Mapping[str, str]
) -> tuple[str, str]:
    """(output dir, why) for a Node framework, honouring config files and script flags."""
    sid = spec.id
    flag_tool = {
        "vite": "vite",
        "astro": "astro",
        "docusaurus": "docusaurus",
        "eleventy": "eleventy",
        "vitepress": "vitepress",
    }.get(sid)
    if script and flag_tool:
        out = outputs.script_out_dir(script, flag_tool)
        if out:
            return out, f"{flag_tool} flag in the build script"
    if sid == "vite":
        got = outputs.vite_out_dir(tree, root)
        if got:
            return got[0], f"build.outDir in {got[1]}"
    elif sid == "astro":
        got = outputs.astro_out_dir(tree, root)
        if got:
            return got[0], f"outDir in {got[1]}"
    elif sid == "nextjs":
        nxt = outputs.next_output(tree, root)
        if nxt:
            out, path, export = nxt
            why = (
                ("output: 'export'" + (" and distDir" if out != "out" else ""))
                if export
                else "distDir"
            )
            return out, f"{why} in {path}"
        if script and re.search(r"next\s+export", script):
            m = re.search(r"next\s+export[^&|;]*?(?:-o|--outdir)\s+(\S+)", script)
            return (m.group(1) if m else "out"), "next export in the build script"
    elif sid == "angular":
        got = outputs.angular_output(tree, root)
        if got:
            return got[0], f"outputPath in {got[1]}"
    elif sid == "eleventy":
        got = outputs.eleventy_output(tree, root, spec.files)
        if got:
            return got[0], f"dir.output in {got[1]}"
    elif sid == "sveltekit":
        static = outputs.svelte_pages(tree, root)
        if static:
            return static[0], f"adapter-static pages in {static[1]}"
        adapter = outputs.svelte_adapter(tree, root)
        if adapter in (None, "auto"):
            return ".svelte-kit/output", "adapter-auto (no static adapter)"
        if adapter in outputs.SVELTE_ADAPTER_OUTPUT:
            return outputs.SVELTE_ADAPTER_OUTPUT[adapter], f"adapter-{adapter}"
        out = outputs.svelte_node_out(tree, root) if adapter == "node" else None
        if out:
            return out, "adapter-node out"
    elif sid == "vue-cli":
        got = outputs.vue_output_dir(tree, root)
        if got:
            return got[0], f"outputDir in {got[1]}"
    elif sid == "nuxt" and _major(deps.get("nuxt", "")) == 2:
        return "dist", "nuxt 2 generate default"
    elif sid in ("nuxt", "solidstart", "tanstack-start"):
        got = _nitro_output(sid, tree, root, deps)
        if got:
            return got
    elif sid == "remix" and _remix_vite(tree, root, script):
        return "build/client", "remix vite default"
    return spec.output, f"{spec.name} default"


def _vinxi(sid: str, tree: Tree, root: str, deps: Mapping[str, str]) -> bool:
    """SolidStart 1 and early TanStack Start build with vinxi from an app.config."""
    if sid == "solidstart":
        major = _major(deps.get("@solidjs/start", ""))
        return major is None or major < 2
    cfg = outputs.read_config(tree, root, outputs.APP_CONFIGS)
    return sid == "tanstack-start" and bool(cfg and "start/config" in cfg[1])


def _nitro_output(
    sid: str, tree: Tree, root: str, deps: Mapping[str, str]
) -> tuple[str, str] | None:
    """The public dir of a Nitro-based framework, from its preset or plugin."""
    if sid == "nuxt":
        names = outputs.NUXT_CONFIGS
    elif _vinxi(sid, tree, root, deps):
        names = outputs.APP_CONFIGS
    else:
        names = outputs.VITE_CONFIGS
    preset = outputs.nitro_preset(tree, root, names)
    if preset:
        return outputs.nitro_public_dir(preset[0]), f"nitro preset {preset[0]} in {preset[1]}"
    if sid == "tanstack-start" and names == outputs.VITE_CONFIGS:
        cfg = outputs.read_config(tree, root, names)
        if cfg and re.search(r"""from\s+['"][^'"]*nitro""", cfg[1]):
            return ".output/public", f"nitro plugin in {cfg[0]}"
    if names == outputs.APP_CONFIGS:
        return ".output/public", "vinxi default"
    return None


def _major(rng: str) -> int | None:
    m = re.search(r"(\d+)", rng)
    return int(m.group(1)) if m else None


def _remix_vite(tree: Tree, root: str, script: str | None) -> bool:
    if script and "vite:build" in script:
        return True
    cfg = outputs.read_config(tree, root, outputs.VITE_CONFIGS)
    return bool(cfg and "@remix-run/dev" in cfg[1])


def _turbo_app(tree: Tree, ws: Workspace, root: str, pkg: dict[str, Any] | None) -> str | None:
    """The app's package name when turbo should build it: a named workspace member, under a
    root that depends on turbo and whose turbo.json defines a ``build`` task for it."""
    if ws.root == root or "turbo" not in ws.tools or not pkg or not pkg.get("name"):
        return None
    name = str(pkg["name"])
    manifest = ws.package or {}
    if not any(
        isinstance(manifest.get(f), dict) and "turbo" in manifest[f]
        for f in ("devDependencies", "dependencies")
    ):
        return None
    for config in ("turbo.json", "turbo.jsonc"):
        cfg = read_config_json(tree, join(ws.root, config))
        if cfg is not None:
            tasks = cfg.get("tasks") or cfg.get("pipeline") or {}  # turbo 2 / turbo 1
            if isinstance(tasks, dict) and ("build" in tasks or f"{name}#build" in tasks):
                return name
            return None
    return None


def _framework_command(
    spec: fw.Spec, tree: Tree, root: str, deps: Mapping[str, str], script: str | None
) -> str:
    if spec.id == "nuxt" and _major(deps.get("nuxt", "")) == 2:
        return "nuxt generate"
    if spec.id == "remix" and _remix_vite(tree, root, script):
        return "remix vite:build"
    if spec.id in ("solidstart", "tanstack-start"):
        return "vinxi build" if _vinxi(spec.id, tree, root, deps) else "vite build"
    if spec.id == "vitepress":
        vp = outputs.vitepress_root(None, tree, root)
        return f"vitepress build {vp}".strip()
    return spec.command


def plan_for(
    tree: Tree,
    root: str = "",
    *,
    env: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Plan:
    """Plan the build of the app at ``root`` (POSIX, relative to the repository root)."""
    env = dict(env or {})
    if config is None:
        config = load_config(tree, _norm_root(root))
    cfg = _build_table(config)
    root = _norm_root(root or cfg.get("root", ""))
    if root and not tree.is_dir(root):
        raise DetectError(
            f"app root {root} does not exist in the repository",
            "pass --root (or [build] root in pitstop.toml) as a folder of the repository",
        )
    warnings: list[str] = []
    reasons: list[tuple[str, str]] = []
    pkg_path = join(root, "package.json")
    pkg = read_package_json(tree, pkg_path)
    scripts = pkg.get("scripts") if pkg and isinstance(pkg.get("scripts"), dict) else {}
    script = scripts.get("build") if isinstance(scripts.get("build"), str) else None
    if script is not None and not script.strip():
        script = None
    deps = _deps(pkg)

    spec, fw_why = detect_framework(tree, root, pkg, script)
    # The output of a script that only builds another folder is that folder's.
    out_root, out_script, out_deps = root, script, deps
    sub = delegate.delegated_dir(script)
    sub_pkg = read_package_json(tree, join(root, sub, "package.json")) if sub else None
    if sub and sub_pkg is not None:
        sub_scripts = sub_pkg.get("scripts") if isinstance(sub_pkg.get("scripts"), dict) else {}
        sub_script = sub_scripts.get("build") if isinstance(sub_scripts.get("build"), str) else None
        sub_spec, sub_why = detect_framework(tree, join(root, sub), sub_pkg, sub_script)
        if sub_spec is not None and sub_spec.runtime == "node":
            spec, fw_why = sub_spec, f"{sub_why} (the build script builds {join(root, sub)})"
            out_root, out_script, out_deps = join(root, sub), sub_script, _deps(sub_pkg)
    workers = first_existing(tree, root, fw.WORKERS.files)
    if spec is None and workers:
        spec, fw_why = fw.WORKERS, workers
    elif spec is not None and workers:
        reasons.append(("wrangler", f"{workers} found; {spec.name} takes precedence"))

    is_python = spec is not None and spec.runtime == "python"
    if spec is None and pkg is None and python.has_python_signals(tree, root):
        is_python = True
    is_node = pkg is not None or (spec is not None and spec.runtime == "node")
    if is_python:
        is_node = pkg is not None and bool(deps) and spec is None

    hosted = hosts.netlify_env(tree, root)
    warnings.extend(hosted.warnings)
    runtimes: list[Runtime] = []
    ws = Workspace(root, None)
    decision: pm.PMDecision | None = None
    py: python.PythonDecision | None = None
    install: str | None = None
    build: str | None = None
    output: str | None = None
    plan_env: dict[str, str] = dict(spec.env) if spec else {}

    if is_node:
        ws = find_workspace(tree, root) if pkg is not None else Workspace(root, None)
        warnings.extend(ws.warnings)
        node, w = _node_runtime(tree, root, ws, env, cfg, pkg, hosted)
        warnings.extend(w)
        runtimes.append(node)
        # A workspace member installs with the workspace root's lockfile; one of its own
        # (left from when it stood alone) is not the one the install reads.
        search = ancestors(ws.root)
        if ws.root != root:
            member_dirs = ancestors(root)[: len(ancestors(root)) - len(search)]
            _, stray = pm.find_lockfiles(tree, member_dirs)
            if stray:
                warnings.append(
                    f"{', '.join(lk.path for lk in stray)} ignored: {display(root)} is a member "
                    f"of the workspace at {display(ws.root)} ({ws.kind}), which installs with "
                    "the workspace root's lockfile"
                )
        decision = pm.decide(
            tree,
            app_pkg=pkg,
            app_pkg_path=pkg_path,
            ws_pkg=ws.package if ws.root != root else None,
            ws_pkg_path=join(ws.root, "package.json"),
            search=search,
            env=env,
            configured=cfg.get("package_manager"),
        )
        if decision.lockfile is not None:
            lock_dir = posixpath.dirname(decision.lockfile.path)
            if lock_dir != ws.root:
                warnings.append(
                    f"{decision.lockfile.path} is above {display(ws.root)} and no workspaces "
                    f"declaration there includes {display(root)}; installing in "
                    f"{display(ws.root)} without it"
                )
                decision.lockfile = None
        warnings.extend(decision.warnings)
        reasons.extend(decision.reasons)
        if decision.name == "npm" and decision.version is None:
            v, why = pm.npm_for_node(node.version)
            if v:
                decision.version, decision.source = v, f"{decision.source}; {why}"
        else:
            w2 = pm.engine_warning(decision.name, decision.version, node.version)
            if w2:
                warnings.append(w2)
        if pkg is not None:
            install = pm.install_command(decision)
            lock_note = f"frozen: {decision.lockfile.path}" if decision.lockfile else "no lockfile"
            reasons.append(("install", lock_note))
        if ws.root != root:
            reasons.append(("workspace", ws.kind or "workspace"))
        if ws.tools:
            reasons.append(("monorepo tools", ", ".join(ws.tools)))

    if is_python:
        py_request: tuple[str, str] | None = None
        if env.get("PYTHON_VERSION"):
            py_request = (env["PYTHON_VERSION"], "PYTHON_VERSION")
        elif cfg.get("python_version"):
            py_request = (cfg["python_version"], "python_version in pitstop.toml")
        else:
            py_request = hosted.request("PYTHON_VERSION")
        py = python.decide(tree, root, env, py_request)
        runtimes.append(Runtime("python", py.version, py.source))
        warnings.extend(py.warnings)
        if not is_node:
            ws = Workspace(py.project_dir, None)
            install = py.install_command
            if py.dep_source:
                reasons.append(
                    (
                        "install",
                        f"{py.installer} from {py.dep_source}, venv "
                        f"{join(py.project_dir, python.VENV)}",
                    )
                )

    hugo_request = (
        (env["HUGO_VERSION"], "HUGO_VERSION")
        if env.get("HUGO_VERSION")
        else hosted.request("HUGO_VERSION")
    )
    if spec is not None and spec.runtime == "hugo" and hugo_request:
        runtimes.append(Runtime("hugo", hugo_request[0].lstrip("v"), hugo_request[1]))
    elif spec is not None and spec.runtime == "hugo":
        npm_hugo = next((d for d in fw.HUGO_PACKAGES if d in deps), None)
        if npm_hugo and script is not None:
            reasons.append(
                ("hugo", f"{npm_hugo} {deps[npm_hugo]} in {pkg_path} (the build script runs it)")
            )
        else:
            reasons.append(("hugo", "the image's hugo (set HUGO_VERSION to pin one)"))

    # ---- build command ------------------------------------------------------------------
    turbo_cache = ""
    nx_target = nx.nx_build(tree, root, ws.root, pkg) if is_node and script is None else None
    name = decision.name if decision else "npm"
    build_why = ""
    if cfg.get("build_command"):
        build, build_why = cfg["build_command"], "build_command in pitstop.toml"
    elif spec is fw.WORKERS:
        wrangler = (
            pm.exec_bin(name, fw.WORKERS.command)
            if pkg is not None
            else f"npx --yes {fw.WORKERS.command}"
        )
        if script and "wrangler" in script:
            build, build_why = pm.run_script(name, "build"), "build script in package.json"
        elif script:
            build = f"{pm.run_script(name, 'build')} && {wrangler}"
            build_why = "build script in package.json, then a wrangler dry-run bundle"
        else:
            build, build_why = wrangler, f"{workers}: wrangler dry-run bundle"
    elif script is not None and decision is not None and (turbo := _turbo_app(tree, ws, root, pkg)):
        # as Vercel does for Turborepo: the workspace packages the app depends on build first
        build = pm.exec_bin(name, f"turbo run build --filter={turbo}")
        build_why = (
            f"turbo.json and turbo in {display(ws.root)}: turbo builds {turbo} after the "
            "workspace packages it depends on"
        )
        turbo_cache = join(posixpath.relpath(ws.root or ".", root or "."), ".turbo/cache")
    elif script is not None and decision is not None:
        build, build_why = pm.run_script(name, "build"), f"build script in {pkg_path}"
        if ws.root != root and "turbo" in ws.tools and pkg and pkg.get("name"):
            reasons.append(
                (
                    "turbo",
                    f"turbo.json in {display(ws.root)}, but turbo is not a dependency of "
                    f"{join(ws.root, 'package.json')} or no build task is defined; the app's "
                    "build script runs alone",
                )
            )
    elif nx_target is not None and decision is not None:
        build = pm.exec_bin(name, f"nx build {nx_target.project}")
        build_why = f"build target in {nx_target.path}"
    elif spec is not None and spec.runtime == "node" and decision is not None:
        build = pm.exec_bin(name, _framework_command(spec, tree, root, deps, script))
        build_why = f"{spec.name} default"
    elif spec is not None and spec.id == "hugo":
        build, build_why = "hugo", "Hugo default"
    elif spec is not None and spec.runtime == "python" and py is not None:
        pybin = python.python_bin(py, root)
        if spec.id == "mkdocs":
            cfgfile = first_existing(tree, root, spec.files) or "mkdocs.yml"
            extra = " -f mkdocs.yaml" if cfgfile.endswith(".yaml") else ""
            build, build_why = f"{pybin} -m mkdocs build{extra}", "MkDocs default"
            w3 = python.mkdocs_requirement_warning(tree, py)
            if w3:
                warnings.append(w3)
        else:
            conf = _sphinx_conf(tree, root) or join(root, "conf.py")
            src = posixpath.relpath(posixpath.dirname(conf) or ".", root or ".")
            out_base = (
                posixpath.join(posixpath.dirname(src), "build")
                if posixpath.basename(src) == "source"
                else posixpath.join(src, "_build")
            )
            out_base = posixpath.normpath(out_base)
            build = f"{pybin} -m sphinx -M html {src} {out_base}"
            build_why = "Sphinx default"
            output = posixpath.normpath(posixpath.join(out_base, "html"))
            spec = fw.Spec(
                spec.id,
                spec.name,
                command=spec.command,
                output=output,
                caches=(posixpath.join(out_base, "doctrees"),),
                runtime="python",
            )
    if build is None:
        apps = _member_apps(tree, ws) if ws.kind and ws.root == root else []
        raise DetectError(
            f"nothing to build in {display(root)}: no build script in package.json, no "
            "framework, no MkDocs/Sphinx/Hugo config"
            + (
                f"; it is a workspace root ({ws.kind}) with apps "
                + ", ".join(f"{path} ({name})" for path, name in apps)
                if apps
                else ""
            ),
            (
                f"pass --root {posixpath.relpath(apps[0][0], root or '.')} (or [build] root in "
                "pitstop.toml) to build one app"
                if apps
                else 'add a "build" script to package.json (e.g. "build": "vite build"), or '
                "set [build] build_command in pitstop.toml"
            ),
        )
    reasons.append(("build", build_why))

    # ---- output directory -----------------------------------------------------------------
    if cfg.get("output_dir"):
        output, out_why = _norm_root(cfg["output_dir"]) or ".", "output_dir in pitstop.toml"
    elif nx_target is not None and nx_target.output and not cfg.get("build_command"):
        output, out_why = nx_target.output, f"build target output in {nx_target.path}"
    elif spec is not None and spec.runtime == "node" and spec is not fw.WORKERS:
        output, out_why = _node_output(spec, tree, out_root, out_script, out_deps)
        if spec.id == "vitepress":
            vp = outputs.vitepress_root(out_script, tree, out_root)
            cfgp = outputs.read_config(
                tree,
                join(out_root, vp, ".vitepress"),
                tuple(f"config.{e}" for e in ("mts", "ts", "mjs", "js")),
            )
            lit = outputs.literal(cfgp[1], "outDir") if cfgp else None
            output = posixpath.normpath(join(vp, lit)) if lit else join(vp, ".vitepress/dist")
            out_why = f"outDir in {cfgp[0]}" if lit and cfgp else "VitePress default"
            spec = fw.Spec(
                spec.id,
                spec.name,
                deps=spec.deps,
                command=spec.command,
                output=output,
                caches=(join(vp, ".vitepress/cache"),),
            )
        if out_root != root:
            rel = posixpath.relpath(out_root, root or ".")
            output, out_why = join(rel, output), f"{out_why}, in {rel}"
    elif spec is fw.WORKERS:
        flag = (
            re.search(r"--outdir[= ](\S+)", script or "")
            if script and "wrangler" in script
            else None
        )
        output = flag.group(1) if flag else "dist"
        out_why = "--outdir of the wrangler dry-run"
    elif spec is not None and spec.id == "hugo":
        conf = _hugo_config(tree, root)
        pub = outputs.hugo_publish_dir(conf, tree.read_text(conf) or "") if conf else None
        flag = outputs.script_out_dir(script or "", "hugo") if script else None
        output = flag or pub or "public"
        out_why = (
            "hugo flag in the build script"
            if flag
            else f"publishDir in {conf}"
            if pub
            else "Hugo default"
        )
    elif spec is not None and spec.id == "mkdocs":
        conf = first_existing(tree, root, spec.files)
        site = outputs.mkdocs_site_dir(tree.read_text(conf) or "") if conf else None
        output, out_why = (site, f"site_dir in {conf}") if site else ("site", "MkDocs default")
    elif spec is not None and output is not None:
        out_why = f"{spec.name} default"
    else:
        output, out_why = "dist", "assumed (no framework known)"
        warnings.append(
            "no framework recognised, so the output directory is assumed to be dist; set "
            "[build] output_dir in pitstop.toml if it is elsewhere"
        )
        apps = _member_apps(tree, ws) if ws.kind and ws.root == root else []
        if apps:
            warnings.append(
                f"{display(root)} is a workspace root ({ws.kind}); its apps: "
                + ", ".join(f"{path} ({name})" for path, name in apps)
                + " — pass --root <app> (or [build] root in pitstop.toml) to build one"
            )
    reasons.append(("output", out_why))

    if cfg.get("install_command"):
        install = cfg["install_command"]
        reasons.append(("install", "install_command in pitstop.toml"))

    package_manager = (
        PackageManager(decision.name, decision.version, decision.source, decision.integrity)
        if decision
        else PackageManager(
            py.installer or "pip" if py else "none",
            None,
            py.dep_source if py and py.dep_source else "no dependency file",
        )
    )
    if py is not None and decision is not None:
        reasons.append(
            ("python", f"{py.installer or 'no'} dependencies in {display(py.project_dir)}")
        )
    cache_dirs = spec.caches if spec else ()
    if out_root != root:
        cache_dirs = tuple(join(posixpath.relpath(out_root, root or "."), c) for c in cache_dirs)
    if turbo_cache:
        cache_dirs = (*cache_dirs, turbo_cache)
    framework = Framework(spec.id, spec.name, fw_why) if spec else None
    if framework is None and nx_target is not None and nx_target.framework:
        nx_spec = fw.BY_ID[nx_target.framework]
        framework = Framework(nx_spec.id, nx_spec.name, f"executor in {nx_target.path}")
    return Plan(
        root=root,
        workspace_root=ws.root,
        package_manager=package_manager,
        runtimes=tuple(runtimes),
        framework=framework,
        install_command=install,
        build_command=build,
        output_dir=output or "dist",
        cache_dirs=cache_dirs,
        env=tuple(sorted(plan_env.items())),
        warnings=tuple(dict.fromkeys(warnings)),
        reasons=tuple(reasons),
    )
