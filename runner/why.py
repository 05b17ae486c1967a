"""Why each cache of a build hit or missed, against the project's previous build. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.cache_keys import changed_paths, differences

KINDS = (("output", "whole build (output memo)"), ("install", "installed dependencies"))


@dataclass(frozen=True)
class CacheVerdict:
    kind: str
    label: str
    hit: bool | None  # None: not consulted in this build
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "hit": self.hit,
            "reasons": list(self.reasons),
        }


def _files_reason(before: Mapping[str, str] | None, after: Mapping[str, str] | None) -> str | None:
    if before is None or after is None:
        return None
    paths = changed_paths(before, after)
    if not paths:
        return None
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return f"{len(paths)} file{'s' if len(paths) != 1 else ''} changed: {shown}"


def explain(
    current: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
    *,
    listing_before: Mapping[str, str] | None = None,
    listing_after: Mapping[str, str] | None = None,
    previous_id: int | None = None,
) -> list[CacheVerdict]:
    """A verdict per cache: hit, or miss with the inputs that differ from ``previous``."""
    current = current or {}
    out: list[CacheVerdict] = []
    for kind, label in KINDS:
        entry = current.get(kind)
        if entry is None:
            out.append(CacheVerdict(kind, label, None, ("not used by this build",)))
            continue
        if entry.get("hit"):
            origin = entry.get("build_id") or entry.get("image")
            why = f"same inputs as {'build #' + str(origin) if kind == 'output' else origin}"
            out.append(CacheVerdict(kind, label, True, (why,)))
            continue
        if entry.get("reason"):
            out.append(CacheVerdict(kind, label, False, (str(entry["reason"]),)))
            continue
        before = (previous or {}).get(kind)
        if before is None:
            first = "no earlier build of this project to compare with"
            out.append(CacheVerdict(kind, label, False, (first,)))
            continue
        reasons = []
        for diff in differences(before.get("components", {}), entry.get("components", {})):
            if diff.component == "source":
                reasons.append(_files_reason(listing_before, listing_after) or "source changed")
            else:
                reasons.append(diff.describe())
        if not reasons:
            since = f" #{previous_id}" if previous_id else ""
            reasons.append(
                f"inputs equal build{since}'s, but its entry is gone (evicted or "
                "the earlier build did not save it)"
            )
        out.append(CacheVerdict(kind, label, False, tuple(reasons)))
    for name, state in sorted((current.get("framework") or {}).items()):
        hit = bool(state.get("hit"))
        reason = (
            f"restored from branch {state.get('branch')}"
            if hit
            else "nothing saved yet for this project, branch or the default branch"
        )
        out.append(CacheVerdict("framework", f"framework cache {name}", hit, (reason,)))
    return out
