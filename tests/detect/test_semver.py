"""npm range semantics, case by case (expectations from npm's own documentation)."""

from __future__ import annotations

import pytest

from runner.detect.semver import Version, max_satisfying, satisfies

CASES = [
    # (range, version, expected)
    ("^20.11", "20.11.0", True),
    ("^20.11", "20.19.5", True),
    ("^20.11", "20.10.9", False),
    ("^20.11", "21.0.0", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    ("^0.x", "0.9.0", True),
    ("^0.x", "1.0.0", False),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1.2", "1.2.0", True),
    ("~1", "1.9.9", True),
    ("~1", "2.0.0", False),
    ("1.x", "1.5.0", True),
    ("1.x", "2.0.0", False),
    ("1.2.*", "1.2.7", True),
    ("1.2.*", "1.3.0", False),
    ("*", "26.0.0", True),
    ("", "1.0.0", True),
    ("20", "20.9.0", True),
    ("20", "21.0.0", False),
    (">=18 <21", "20.99.0", True),
    (">=18 <21", "21.0.0", False),
    (">=18 <21", "17.9.9", False),
    (">= 18", "18.0.0", True),
    (">18", "18.9.9", False),
    (">18", "19.0.0", True),
    (">18.2", "18.2.9", False),
    (">18.2", "18.3.0", True),
    ("<=18", "18.99.0", True),
    ("<=18", "19.0.0", False),
    ("<18.2", "18.1.9", True),
    ("<18.2", "18.2.0", False),
    ("1.2.3 - 2.3.4", "2.3.4", True),
    ("1.2.3 - 2.3.4", "2.3.5", False),
    ("1.2 - 2.3", "2.3.9", True),
    ("1.2 - 2.3", "2.4.0", False),
    ("1.2 - 2", "2.9.9", True),
    ("1.2 - 2", "1.1.9", False),
    ("^14 || ^16 || >=18", "16.2.0", True),
    ("^14 || ^16 || >=18", "17.0.0", False),
    ("^14 || ^16 || >=18", "26.1.0", True),
    ("=1.2.3", "1.2.3", True),
    ("v1.2.3", "1.2.3", True),
    ("20.x", "20.0.0", True),
    (">=18.x", "18.0.0", True),
    ("6 >=6.2.0 || 8 || >=9.3.0", "6.1.0", False),
    ("6 >=6.2.0 || 8 || >=9.3.0", "6.2.0", True),
    ("6 >=6.2.0 || 8 || >=9.3.0", "9.2.0", False),
    ("6 >=6.2.0 || 8 || >=9.3.0", "8.1.0", True),
    # prereleases match only next to a prerelease of the same core version
    (">=1.2.3-alpha.3", "1.2.3-alpha.7", True),
    (">=1.2.3-alpha.3", "3.4.5-alpha.9", False),
    (">=1.2.3-alpha.3", "3.4.5", True),
    ("^1.2.3", "2.0.0-rc.1", False),
    ("<2", "2.0.0-rc.1", False),
]


@pytest.mark.parametrize(("rng", "version", "expected"), CASES)
def test_satisfies(rng: str, version: str, expected: bool) -> None:
    assert satisfies(version, rng) is expected


@pytest.mark.parametrize(
    ("versions", "rng", "expected"),
    [
        (["1.0.0", "1.10.0", "1.9.0", "2.0.0"], "^1", "1.10.0"),
        (["18.20.8", "20.19.5", "22.1.0"], ">=18 <21", "20.19.5"),
        (["1.0.0"], "^2", None),
    ],
)
def test_max_satisfying(versions: list[str], rng: str, expected: str | None) -> None:
    assert max_satisfying(versions, rng) == expected


@pytest.mark.parametrize("bad", ["^x.y.z.w", ">=banana", "1.2.3.4"])
def test_invalid_range_raises(bad: str) -> None:
    with pytest.raises(ValueError):
        satisfies("1.0.0", bad)


def test_ordering() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.1"]
    parsed = [Version.parse(v) for v in order]
    assert sorted(parsed) == parsed  # type: ignore[type-var]
