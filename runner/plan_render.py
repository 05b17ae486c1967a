"""A plan as human-readable lines: each decision with its source ("pnpm 9.15.0 — packageManager
in package.json"), then warnings. Pure: no I/O, no styling."""

from __future__ import annotations

from runner.models import Plan
from runner.versions import NPM_VERSION

_DASH = " — "


def _where(path: str) -> str:
    return path or "."


def plan_lines(plan: Plan) -> list[str]:
    """The plan's decisions, one per line, followed by ``warning: …`` lines."""
    why = dict(plan.reasons)  # later entries win
    lines: list[str] = []
    root = f"root {_where(plan.root)}"
    if plan.workspace_root != plan.root:
        kind = f", {why['workspace']}" if "workspace" in why else ""
        root += f" (workspace root {_where(plan.workspace_root)}{kind})"
    lines.append(root)
    pm = plan.package_manager
    if pm.version:
        version = pm.version
    elif pm.name == "npm":
        version = f"(the image's {NPM_VERSION})"
    else:
        version = "(the image's)"
    checked = f"; the download must match its {pm.integrity.split('.')[0]}" if pm.integrity else ""
    lines.append(f"{pm.name} {version}{_DASH}{pm.source}{checked}")
    lines.extend(f"{r.name} {r.version}{_DASH}{r.source}" for r in plan.runtimes)
    if plan.framework:
        lines.append(f"framework {plan.framework.name}{_DASH}{plan.framework.source}")
    else:
        lines.append("framework none recognised")
    if plan.install_command:
        where = f" (in {_where(plan.workspace_root)})" if plan.workspace_root != plan.root else ""
        lines.append(
            f"install {plan.install_command}{where}{_DASH}{why.get('install', 'detected')}"
        )
    else:
        lines.append("install nothing to install")
    lines.append(f"build {plan.build_command}{_DASH}{why.get('build', 'detected')}")
    lines.append(f"output {plan.output_dir}{_DASH}{why.get('output', 'detected')}")
    if plan.cache_dirs:
        lines.append(f"cache {', '.join(plan.cache_dirs)}")
    for key in ("monorepo tools", "turbo", "wrangler", "hugo", "python"):
        if key in why:
            lines.append(f"{key}{_DASH}{why[key]}")
    if plan.env:
        lines.append("env " + " ".join(f"{k}={v}" for k, v in plan.env))
    lines.extend(f"warning: {w}" for w in plan.warnings)
    return lines
