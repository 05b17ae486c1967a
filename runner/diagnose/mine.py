"""Group failures no rule knows: likely-error lines and log template mining.

``template`` masks one line (paths, hashes, numbers... via ``redact``) into a stable
string, so the same new failure in ten builds gives the same group. ``Miner`` goes
further, in the manner of Drain: lines with the same token count and leading token are
compared position by position, and a line joins the most similar cluster (differing
tokens become ``<*>``), so messages that differ only in a name still collapse into one
template to write a rule for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from runner.diagnose.redact import redact
from runner.diagnose.rules import ERRORISH, GENERIC_TRAILERS

WILDCARD = "<*>"
_ERRORISH = re.compile(ERRORISH)
_GENERIC = re.compile("|".join(f"(?:{p})" for p in GENERIC_TRAILERS))
_STRONG = re.compile(
    r"(?i:^\s*(?:\S+: )?(?:error|fatal|err!)\b|^\s*\w*(?:Error|Exception)\b[:\s]|\[error\]"
    r"|^\s*✘|^\s*⨯|^\s*ERR_)"
)
_NOISE = re.compile(r"(?i:^\s*(?:warn(?:ing)?\b|npm warn|\(!\)|deprecat|info\b|hint:|note:))")


def template(line: str) -> str:
    """The masked, stable form of one line (what an unknown failure is grouped by)."""
    return redact(line)


def score(line: str) -> int:
    """How much a line looks like the failure itself (0 = not at all)."""
    if not line.strip() or _GENERIC.search(line) or _NOISE.search(line):
        return 0
    if not _ERRORISH.search(line):
        return 0
    return 3 if _STRONG.search(line) else 1


def likely_error_lines(numbered: Iterable[tuple[int, str]], limit: int = 3) -> list[int]:
    """Pick the line numbers most likely to hold the error: strongest first, then earliest."""
    scored = [(score(text), n) for n, text in numbered]
    best = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[:limit]
    return sorted(n for _, n in best)


@dataclass
class Cluster:
    """One mined template and how many lines joined it."""

    id: int
    tokens: list[str]
    size: int = 1
    examples: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return " ".join(self.tokens)


class Miner:
    """A small Drain-style template miner (deterministic, in memory, no state files)."""

    def __init__(self, similarity: float = 0.5, max_examples: int = 3) -> None:
        self.similarity = similarity
        self.max_examples = max_examples
        self._buckets: dict[tuple[int, str], list[Cluster]] = {}
        self._clusters: list[Cluster] = []

    def add(self, line: str) -> Cluster:
        """Add one line (masked first) and return the cluster it joined."""
        tokens = template(line).split()
        key = (len(tokens), tokens[0] if tokens and not _has_digit(tokens[0]) else WILDCARD)
        bucket = self._buckets.setdefault(key, [])
        best, best_sim = None, -1.0
        for cluster in bucket:
            sim = _similarity(cluster.tokens, tokens)
            if sim > best_sim:
                best, best_sim = cluster, sim
        if best is not None and best_sim >= self.similarity:
            best.tokens = [
                a if a == b else WILDCARD for a, b in zip(best.tokens, tokens, strict=True)
            ]
            best.size += 1
            if len(best.examples) < self.max_examples:
                best.examples.append(line)
            return best
        cluster = Cluster(id=len(self._clusters) + 1, tokens=tokens, examples=[line])
        bucket.append(cluster)
        self._clusters.append(cluster)
        return cluster

    def clusters(self) -> list[Cluster]:
        """All clusters, largest first."""
        return sorted(self._clusters, key=lambda c: (-c.size, c.id))


def group_lines(lines: Sequence[str], similarity: float = 0.5) -> list[Cluster]:
    """Mine templates from many lines (e.g. the top error line of each unknown failure)."""
    miner = Miner(similarity)
    for line in lines:
        miner.add(line)
    return miner.clusters()


def _has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def _similarity(template_tokens: list[str], tokens: list[str]) -> float:
    if not tokens:
        return 1.0
    same = sum(1 for a, b in zip(template_tokens, tokens, strict=True) if a == b)
    return same / len(tokens)
