"""A small semantic-version range matcher with npm's semantics.

Supports comparators (``<``, ``<=``, ``>``, ``>=``, ``=``), x-ranges (``1.x``, ``1.2.*``,
``*``, ``1``), tilde (``~1.2.3``), caret (``^0.2.3``), hyphen ranges (``1.2 - 2.3.4``)
and ``||`` unions, with npm's rule that a prerelease only matches a comparator set that
names a prerelease of the same ``major.minor.patch``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_VERSION = re.compile(
    r"^\s*[=v]*\s*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$"
)
_PARTIAL = re.compile(
    r"^[=v]*(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
    r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_OPS = ("<=", ">=", "<", ">", "=", "~>", "~", "^")


def _pre_key(pre: tuple[str, ...]) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre)


@dataclass(frozen=True)
class Version:
    """A full ``major.minor.patch[-prerelease]`` version."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """Parse a full version (leading ``v``/``=`` allowed); None when it is not one."""
        m = _VERSION.match(text)
        if not m:
            return None
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def _key(self) -> tuple[object, ...]:
        # A release sorts after its prereleases.
        return (self.core, 1 if not self.pre else 0, _pre_key(self.pre))

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(self.pre)}" if self.pre else base


@dataclass(frozen=True)
class Comparator:
    op: str  # one of < <= > >= =
    version: Version

    def test(self, v: Version) -> bool:
        a, b = v._key(), self.version._key()
        return {
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
            "=": a == b,
        }[self.op]


_ANY = Comparator(">=", Version(0, 0, 0))
_NONE = Comparator("<", Version(0, 0, 0, ("0",)))


def _zero(major: int, minor: int = 0, patch: int = 0) -> Version:
    """The lowest version of a line, prereleases included (npm's ``-0``)."""
    return Version(major, minor, patch, ("0",))


def _partial(text: str) -> tuple[int | None, int | None, int | None, tuple[str, ...]]:
    m = _PARTIAL.match(text)
    if not m:
        raise ValueError(f"invalid version {text!r}")

    def num(s: str | None) -> int | None:
        return None if s is None or s in "xX*" else int(s)

    major, minor, patch = num(m.group(1)), num(m.group(2)), num(m.group(3))
    if major is None:
        minor = patch = None
    elif minor is None:
        patch = None
    pre = tuple(m.group(4).split(".")) if m.group(4) and patch is not None else ()
    return major, minor, patch, pre


def _desugar(op: str, text: str) -> list[Comparator]:
    major, minor, patch, pre = _partial(text)
    if op in ("", "="):
        if major is None:
            return [_ANY]
        if minor is None:
            return [Comparator(">=", Version(major, 0, 0)), Comparator("<", _zero(major + 1))]
        if patch is None:
            return [
                Comparator(">=", Version(major, minor, 0)),
                Comparator("<", _zero(major, minor + 1)),
            ]
        return [Comparator("=", Version(major, minor, patch, pre))]
    if op in ("~", "~>"):
        if major is None:
            return [_ANY]
        low = Version(major, minor or 0, patch or 0, pre)
        high = _zero(major + 1) if minor is None else _zero(major, minor + 1)
        return [Comparator(">=", low), Comparator("<", high)]
    if op == "^":
        if major is None:
            return [_ANY]
        low = Version(major, minor or 0, patch or 0, pre)
        if major > 0 or minor is None:
            high = _zero(major + 1)
        elif minor > 0 or patch is None:
            high = _zero(0, minor + 1)
        else:
            high = _zero(0, 0, patch + 1)
        return [Comparator(">=", low), Comparator("<", high)]
    if major is None:
        return [_NONE] if op in ("<", ">") else [_ANY]
    if op == ">":
        if minor is None:
            return [Comparator(">=", Version(major + 1, 0, 0))]
        if patch is None:
            return [Comparator(">=", Version(major, minor + 1, 0))]
        return [Comparator(">", Version(major, minor, patch, pre))]
    if op == ">=":
        return [Comparator(">=", Version(major, minor or 0, patch or 0, pre))]
    if op == "<":
        if patch is None:
            return [Comparator("<", _zero(major, minor or 0))]
        return [Comparator("<", Version(major, minor or 0, patch, pre))]
    # <=
    if minor is None:
        return [Comparator("<", _zero(major + 1))]
    if patch is None:
        return [Comparator("<", _zero(major, minor + 1))]
    return [Comparator("<=", Version(major, minor, patch, pre))]


def _parse_set(text: str) -> list[Comparator]:
    hyphen = _HYPHEN.match(text)
    if hyphen:
        low = _desugar(">=", hyphen.group(1))
        if _partial(hyphen.group(2))[0] is None:
            return low
        return low + _desugar("<=", hyphen.group(2))
    # "> = 1.2" and ">= 1.2" mean ">=1.2": glue operators to their operand.
    glued = re.sub(r"(<=|>=|<|>|=|~>|~|\^)\s+", r"\1", text.strip())
    out: list[Comparator] = []
    for token in glued.split():
        op = next((o for o in _OPS if token.startswith(o)), "")
        out.extend(_desugar(op, token[len(op) :]))
    return out or [_ANY]


@dataclass(frozen=True)
class Range:
    """A parsed npm range: a union of comparator sets."""

    text: str
    sets: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Range:
        """Parse ``text``; raises ValueError when it is not an npm range."""
        parts = text.split("||")
        return cls(text, tuple(tuple(_parse_set(p)) for p in parts))

    def test(self, v: Version) -> bool:
        for comps in self.sets:
            if not all(c.test(v) for c in comps):
                continue
            if not v.pre:
                return True
            # npm: a prerelease matches only next to a prerelease of the same core.
            if any(c.version.pre and c.version.core == v.core for c in comps):
                return True
        return False


def satisfies(version: str, range_text: str) -> bool:
    """Whether ``version`` is in ``range_text`` (False for an unparsable version)."""
    v = Version.parse(version)
    return v is not None and Range.parse(range_text).test(v)


def max_satisfying(versions: Iterable[str], range_text: str) -> str | None:
    """The highest of ``versions`` inside ``range_text``, or None."""
    rng = Range.parse(range_text)
    best: Version | None = None
    best_text: str | None = None
    for text in versions:
        v = Version.parse(text)
        if v is not None and rng.test(v) and (best is None or v > best):
            best, best_text = v, text
    return best_text


def is_exact(text: str) -> bool:
    """Whether ``text`` is one full version (``1.2.3``, ``v1.2.3``)."""
    return Version.parse(text) is not None
