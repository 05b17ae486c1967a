"""Which JavaScript package manager installs the project, at which exact version, and how.

Order: explicit config → ``packageManager`` in package.json → the nearest lockfile (app
root, then each parent up to the repository root) → ``engines.<pm>`` → npm.  Several
lockfiles in one directory are ranked by :data:`LOCKFILES` (a deliberate, non-default
manager's lockfile beats npm's, which is the one most often committed by accident) and a
warning names all of them.  Without a pin the version follows the lockfile's format: the
oldest major that writes that format, at its newest release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.detect import pm_releases, semver
from runner.detect.files import check_conflict_markers, join, parse_json
from runner.detect.tree import Tree
from runner.errors import DetectError
from runner.versions import NPM_VERSION

#: Lockfile names and their manager, in precedence order within one directory.
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
    ("npm-shrinkwrap.json", "npm"),
    ("package-lock.json", "npm"),
)
MANAGERS = ("npm", "pnpm", "yarn", "bun")

#: ``engines.node`` of the newest release of each major (``npm view <pkg>@<v> engines``).
ENGINES: dict[str, dict[int, str]] = {
    "npm": {
        12: "^22.22.2 || ^24.15.0 || >=26.0.0",
        11: "^20.17.0 || >=22.9.0",
        10: "^18.17.0 || >=20.5.0",
        9: "^14.17.0 || ^16.13.0 || >=18.0.0",
        8: "^12.13.0 || ^14.15.0 || >=16.0.0",
        7: ">=10",
        6: "6 >=6.2.0 || 8 || >=9.3.0",
    },
    "pnpm": {
        12: ">=18",
        11: ">=22.13",
        10: ">=18.12",
        9: ">=18.12",
        8: ">=16.14",
        7: ">=14.6",
        6: ">=12.17",
    },
    "yarn": {4: ">=18.12.0", 3: ">=12 <14 || 14.2 - 14.9 || >14.10.0", 1: ">=4.0.0"},
}

_PM_SPEC = re.compile(r"^(?P<name>[a-z]+)@(?P<version>[^+\s]+)(?:\+(?P<hash>\S+))?$")
_YARN_META = re.compile(r"^__metadata:\s*$\n(?:^[ \t]+.*$\n)*?^[ \t]+version:\s*(\d+)", re.M)
_PNPM_LOCKVER = re.compile(r"^lockfileVersion:\s*['\"]?([0-9.]+)['\"]?\s*$", re.M)
_BUN_LOCKVER = re.compile(r'"lockfileVersion"\s*:\s*(\d+)')
_YARN_PATH = re.compile(r"^yarnPath:\s*['\"]?(\S*?)['\"]?\s*$", re.M)


@dataclass(frozen=True)
class Lockfile:
    path: str  # tree path
    manager: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class PMDecision:
    """The package manager and the evidence for it."""

    name: str
    version: str | None
    source: str
    lockfile: Lockfile | None = None
    berry: bool = False
    warnings: list[str] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    integrity: str | None = None  # ``algo.hex`` from packageManager's ``+hash``


@dataclass(frozen=True)
class _Want:
    """Versions a signal asks for: ``prefer`` first, else anything in ``accept``."""

    prefer: str
    accept: str
    why: str


def releases(name: str, berry: bool = False) -> tuple[str, ...]:
    if name == "yarn":
        return pm_releases.BERRY if berry else pm_releases.YARN
    return pm_releases.RELEASES[name]


def newest(name: str, rng: str = "*", berry: bool = False) -> str | None:
    return semver.max_satisfying(releases(name, berry), rng)


def find_lockfiles(tree: Tree, folders: list[str]) -> tuple[str | None, list[Lockfile]]:
    """The nearest folder (of ``folders``, nearest first) holding lockfiles, and them."""
    for folder in folders:
        found = [
            Lockfile(join(folder, name), mgr)
            for name, mgr in LOCKFILES
            if tree.is_file(join(folder, name))
        ]
        if found:
            return folder, found
    return None, []


#: Corepack's ``+<algorithm>.<hex digest>`` suffix: digest lengths by algorithm.
HASH_LENGTHS = {"sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}


def parse_pm_field(value: Any, where: str) -> tuple[str | None, str | None, str | None, list[str]]:
    """``packageManager`` → (name, exact-or-range version, ``algo.hex`` hash, warnings)."""
    if not isinstance(value, str):
        return None, None, None, [f"packageManager in {where} is not a string; ignored"]
    m = _PM_SPEC.match(value.strip())
    if not m or m.group("name") not in MANAGERS:
        return (
            None,
            None,
            None,
            [f'packageManager "{value}" in {where} is not <npm|pnpm|yarn|bun>@<version>; ignored'],
        )
    name, version = m.group("name"), m.group("version")
    warnings = []
    if not semver.is_exact(version):
        warnings.append(
            f'packageManager "{value}" in {where} is not an exact version: Corepack rejects it '
            f"(it needs full semver such as {name}@{_suggest(name, version)})"
        )
    digest = None
    if m.group("hash"):
        algo, _, hexdigest = m.group("hash").partition(".")
        if HASH_LENGTHS.get(algo.lower()) == len(hexdigest) and re.fullmatch(
            "[0-9a-fA-F]+", hexdigest
        ):
            digest = f"{algo.lower()}.{hexdigest.lower()}"
        else:
            warnings.append(
                f'packageManager "{value}" in {where}: "+{m.group("hash")}" is not '
                "<sha1|sha224|sha256|sha384|sha512>.<hex digest>; the download is not checked "
                "against it"
            )
    return name, version, digest, warnings


def _suggest(name: str, version: str) -> str:
    try:
        found = newest(name, version, berry=name == "yarn" and not version.startswith("1"))
    except ValueError:
        found = None
    return found or newest(name) or "1.0.0"


def _pnpm_want(text: str, path: str) -> _Want:
    check_conflict_markers(path, text)
    found = _PNPM_LOCKVER.findall(text)
    if not found:
        raise DetectError(
            f"{path}:1:1: no lockfileVersion found; this is not a pnpm lockfile",
            f"regenerate {path} with pnpm install and commit it",
        )
    ver = found[-1]
    multi = text.lstrip().startswith("---") or len(found) > 1
    table = {
        "5.0": ("4.x", "<6", "pnpm 3–4"),
        "5.1": ("4.x", "<6", "pnpm 4"),
        "5.2": ("5.x", "<6", "pnpm 5"),
        "5.3": ("6.x", "6.x || 7.x", "pnpm 6"),
        "5.4": ("7.x", "7.x", "pnpm 7"),
        "6.0": ("8.x", "8.x || 9.x", "pnpm 8"),
        "6.1": ("8.x", "8.x", "pnpm 8"),
        "7.0": ("9.x", "9.x", "pnpm 9 prereleases"),
        "9.0": ("9.x", "9.x || 10.x", "pnpm 9 and 10"),
    }
    if ver == "9.0" and multi:
        return _Want("11.x", ">=11", f"lockfileVersion {ver}, two-document format of pnpm ≥11")
    if ver in table:
        prefer, accept, who = table[ver]
        return _Want(prefer, accept, f"lockfileVersion {ver}, written by {who}")
    return _Want("*", "*", f"lockfileVersion {ver} (unknown; newest pnpm)")


def _yarn_want(text: str, path: str, yarnrc: str | None) -> tuple[bool, _Want]:
    check_conflict_markers(path, text)
    m = _YARN_META.search(text)
    if m:
        v = int(m.group(1))
        if v <= 5:
            return True, _Want("2.x", "2.x", f"__metadata version {v}, Yarn 2")
        if v <= 7:
            return True, _Want("3.x", "3.x", f"__metadata version {v}, Yarn 3")
        return True, _Want("4.x", ">=4", f"__metadata version {v}, Yarn 4")
    if "# yarn lockfile v1" in text or re.search(r'^"?[^\s#][^\n]*@[^\n]*:\s*$', text, re.M):
        return False, _Want("1.x", "1.x", "Yarn 1 lockfile (no __metadata)")
    if text.strip():
        return False, _Want("1.x", "1.x", "Yarn 1 lockfile (no __metadata)")
    # An empty yarn.lock says nothing; a .yarnrc.yml means berry.
    if yarnrc is not None:
        return True, _Want("4.x", ">=2", "empty yarn.lock next to .yarnrc.yml")
    return False, _Want("1.x", "1.x", "empty yarn.lock")


def _bun_want(tree: Tree, lock: Lockfile) -> _Want:
    if lock.name == "bun.lockb":
        return _Want("1.1.x", "1.x", "binary bun.lockb, written by bun ≤1.1")
    text = tree.read_text(lock.path) or ""
    check_conflict_markers(lock.path, text)
    m = _BUN_LOCKVER.search(text)
    if not text.lstrip().startswith("{") or not m:
        raise DetectError(
            f"{lock.path}:1:1: no lockfileVersion found; this is not a bun text lockfile",
            f"regenerate {lock.path} with bun install and commit it",
        )
    v = int(m.group(1))
    if v == 0:
        return _Want(">=1.1.39 <1.2.0", ">=1.1.39 <1.4.0", "bun.lock lockfileVersion 0")
    if v == 1:
        return _Want(">=1.2.0 <1.4.0", ">=1.2.0", "bun.lock lockfileVersion 1, bun 1.2–1.3")
    if v == 2:
        return _Want(">=1.4.0", ">=1.4.0", "bun.lock lockfileVersion 2, bun ≥1.4")
    return _Want("*", "*", f"bun.lock lockfileVersion {v} (unknown; newest bun)")


def _npm_lock_note(tree: Tree, lock: Lockfile) -> tuple[str, list[str]]:
    text = tree.read_text(lock.path) or ""
    data = parse_json(lock.path, text)
    ver = data.get("lockfileVersion") if isinstance(data, dict) else None
    warnings = []
    if ver == 1:
        warnings.append(
            f"{lock.path} has lockfileVersion 1 (npm 5–6); npm ≥7 reads it and upgrades it in "
            'memory. Pin "packageManager": "npm@6.14.18" to install with npm 6'
        )
    return f"lockfileVersion {ver}", warnings


def _pick(
    name: str, want: _Want | None, engines: str | None, berry: bool
) -> tuple[str | None, str]:
    """Newest release honouring the lockfile's wish and ``engines.<pm>``."""
    if engines:
        try:
            if want:
                for rng in (want.prefer, want.accept):
                    both = [v for v in releases(name, berry) if semver.satisfies(v, rng)]
                    best = semver.max_satisfying(both, engines)
                    if best:
                        return best, f"{want.why}; engines.{name} {engines}"
            best = newest(name, engines, berry)
            if best:
                return best, f"engines.{name} {engines}"
        except ValueError:
            pass
    if want:
        return newest(name, want.prefer, berry), want.why
    return None, ""


def decide(
    tree: Tree,
    *,
    app_pkg: Mapping[str, Any] | None,
    app_pkg_path: str,
    ws_pkg: Mapping[str, Any] | None,
    ws_pkg_path: str,
    search: list[str],
    env: Mapping[str, str],
    configured: str | None,
) -> PMDecision:
    """Decide the package manager. ``search`` lists folders for lockfiles, nearest first."""
    warnings: list[str] = []
    reasons: list[tuple[str, str]] = []
    lock_dir, locks = find_lockfiles(tree, search)
    if len(locks) > 1:
        names = ", ".join(lk.path for lk in locks)
        warnings.append(
            f"several lockfiles in {lock_dir or '.'}: {names}; using {locks[0].name} "
            f"(order: {' > '.join(n for n, _ in LOCKFILES)}). Delete the others"
        )
    lock = locks[0] if locks else None

    name: str | None = None
    pinned: str | None = None
    source = ""
    digest: str | None = None
    if configured:
        spec = configured.strip()
        cname, _, cver = spec.partition("@")
        if cname not in MANAGERS:
            raise DetectError(
                f"pitstop.toml [build] package_manager {configured!r} is not one of "
                + ", ".join(MANAGERS),
                'write e.g. package_manager = "pnpm" or "pnpm@9.15.0"',
            )
        name, pinned, source = cname, cver or None, "package_manager in pitstop.toml"
    if name is None:
        for pkg, where in ((app_pkg, app_pkg_path), (ws_pkg, ws_pkg_path)):
            if pkg and "packageManager" in pkg:
                n, v, digest, w = parse_pm_field(pkg["packageManager"], where)
                warnings.extend(w)
                if n:
                    name, pinned, source = n, v, f"packageManager in {where}"
                    break
    if name is None and lock is not None:
        name, source = lock.manager, lock.path
    engines: dict[str, str] = {}
    for pkg in (app_pkg, ws_pkg):
        eng = pkg.get("engines") if pkg else None
        if isinstance(eng, dict):
            for k, v in eng.items():
                if k in MANAGERS and isinstance(v, str):
                    engines.setdefault(k, v)
    if name is None:
        for cand in ("pnpm", "yarn", "bun"):
            if cand in engines:
                name, source = cand, f"engines.{cand} in package.json"
                break
    if name is None:
        name, source = "npm", "default (no lockfile, packageManager or engines)"

    if lock is not None and lock.manager != name:
        warnings.append(
            f"{source} says {name} but the lockfile is {lock.path} ({lock.manager}); "
            f"installing with {name} without a lockfile"
        )
        lock = None

    yarnrc_path = join(lock_dir if lock_dir is not None else search[-1], ".yarnrc.yml")
    yarnrc = None
    for folder in search:
        for fname in (".yarnrc.yml", ".yarnrc.yaml"):
            text = tree.read_text(join(folder, fname))
            if text is not None:
                yarnrc, yarnrc_path = text, join(folder, fname)
                break
        if yarnrc is not None:
            break

    want: _Want | None = None
    berry = False
    if lock is not None:
        if name == "pnpm":
            want = _pnpm_want(tree.read_text(lock.path) or "", lock.path)
        elif name == "yarn":
            berry, want = _yarn_want(tree.read_text(lock.path) or "", lock.path, yarnrc)
        elif name == "bun":
            want = _bun_want(tree, lock)
        else:
            note, w = _npm_lock_note(tree, lock)
            warnings.extend(w)
            if source == lock.path:
                source = f"{lock.path} ({note})"
    elif name == "yarn":
        berry = yarnrc is not None
        want = (
            _Want("4.x", ">=2", f"{yarnrc_path} present")
            if berry
            else _Want("1.x", "1.x", "no yarn.lock and no .yarnrc.yml: Yarn 1")
        )

    version: str | None = None
    env_var = f"{name.upper()}_VERSION"
    yarn_path = _YARN_PATH.search(yarnrc or "") if name == "yarn" else None
    yarn_path_ver = (
        re.search(r"yarn-(\d+\.\d+\.\d+[^/]*?)\.c?js$", yarn_path.group(1)) if yarn_path else None
    )
    if pinned is not None:
        if name == "yarn":
            berry = not pinned.startswith("1")
        if semver.is_exact(pinned):
            version = str(semver.Version.parse(pinned))
        else:
            try:
                version = newest(name, pinned, berry)
            except ValueError:
                version = None
            if version is None:
                raise DetectError(
                    f"{source}: {name} version {pinned!r} matches no {name} release",
                    f"pin an exact version such as {name}@{newest(name, '*', berry)}",
                )
            source += f" ({pinned} → newest matching)"
    elif env.get(env_var):
        raw = env[env_var].strip()
        if name == "yarn":
            berry = not raw.startswith("1")
        version = raw if semver.is_exact(raw) else newest(name, raw, berry)
        if version is None:
            raise DetectError(
                f"{env_var}={raw} matches no {name} release",
                f"set {env_var} to an exact version such as {newest(name, '*', berry)}",
            )
        source = f"{env_var}"
    elif yarn_path_ver is not None:
        version = yarn_path_ver.group(1)
        berry = not version.startswith("1.")
        source = f"yarnPath in {yarnrc_path}"
    elif name != "npm":
        version, why = _pick(name, want, engines.get(name), berry)
        if version is None:
            version = newest(name, "*", berry)
            why = f"newest {name}"
        if why:
            source = f"{source} ({why})" if source != why else source
    if name == "yarn" and version is not None:
        berry = not version.startswith(("0.", "1."))
    if name == "npm" and version is None and pinned is None:
        version = None  # the image's npm, or one matching Node (decided with the runtime)
    if (
        name == "yarn"
        and lock is not None
        and want is not None
        and version is not None
        and not semver.satisfies(version, want.accept)
    ):
        fits = newest("yarn", want.prefer, not want.prefer.startswith("1"))
        warnings.append(
            f"{lock.path} ({want.why}) does not match yarn {version} ({source}): the install "
            f"would rewrite the lockfile and a frozen install fails. Run yarn install with "
            f"yarn {version} and commit {lock.name}, or pin yarn@{fits}"
        )
    if lock is None:
        warnings.append(
            f"no lockfile for {name}: dependencies are resolved afresh on every build; "
            "commit a lockfile for reproducible installs"
        )
    # Corepack's hash names the exact download; it holds only for the version it came with
    exact = digest if pinned is not None and semver.is_exact(pinned) else None
    if exact and name == "bun":
        warnings.append(f"{source}: Corepack does not install bun, so its hash is not checked")
        exact = None
    return PMDecision(name, version, source, lock, berry, warnings, reasons, exact)


def npm_for_node(node_version: str) -> tuple[str | None, str | None]:
    """(npm version, reason) when the image's npm does not support ``node_version``."""
    if semver.satisfies(node_version, ENGINES["npm"][int(NPM_VERSION.split(".")[0])]):
        return None, None
    for major in sorted(ENGINES["npm"], reverse=True):
        if semver.satisfies(node_version, ENGINES["npm"][major]):
            return newest("npm", f"{major}.x"), (
                f"npm {NPM_VERSION} in the image does not support node {node_version}; "
                f"newest npm {major} does"
            )
    return None, None


def engine_warning(name: str, version: str | None, node_version: str) -> str | None:
    """A warning when ``name@version`` declares no support for ``node_version``."""
    if not version or name not in ENGINES:
        return None
    major = int(version.split(".")[0])
    rng = ENGINES[name].get(major)
    if rng and not semver.satisfies(node_version, rng):
        return f"{name} {version} requires node {rng}; node {node_version} may not run it"
    return None


def install_command(d: PMDecision) -> str:
    """The frozen install when there is a lockfile, else a plain one that may write one."""
    frozen = d.lockfile is not None
    if d.name == "npm":
        return "npm ci" if frozen else "npm install"
    if d.name == "pnpm":
        return "pnpm install --frozen-lockfile" if frozen else "pnpm install --no-frozen-lockfile"
    if d.name == "yarn":
        if d.berry:
            # Berry turns on --immutable by itself when CI is set, which forbids creating one.
            return "yarn install --immutable" if frozen else "yarn install --no-immutable"
        return "yarn install --frozen-lockfile" if frozen else "yarn install"
    return "bun install --frozen-lockfile" if frozen else "bun install"


def run_script(name: str, script: str) -> str:
    """Run a package.json script through the manager."""
    if name == "yarn":
        return f"yarn {script}" if script == "build" else f"yarn run {script}"
    return f"{name} run {script}"


def exec_bin(name: str, command: str) -> str:
    """Run an installed binary (``next build``) through the manager."""
    prefix = {"npm": "npx", "pnpm": "pnpm exec", "yarn": "yarn", "bun": "bun x"}[name]
    return f"{prefix} {command}"
