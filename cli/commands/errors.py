"""``pitstop errors``: the most common failure causes and groups across build history.

Everything shown is aggregated over builds, so groups are always the masked form
(``redact``): no user paths, ids, hashes or tokens. Failures no rule knows are grouped
by mining templates from their most error-like line.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from runner.store import Store

PAGE = 1000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
NO_LINE = "(no line looked like an error)"


def register(app: typer.Typer) -> None:
    app.command("errors")(errors)


def parse_since(text: str, now: float) -> float:
    """The cutoff time for ``--since``: ``7d``, ``12h``, ``30m``, ``2w``, ``90s`` or a date."""
    from runner.errors import UsageError

    value = text.strip().lower()
    m = _DURATION.match(value)
    if m:
        return now - int(m.group(1)) * _UNITS[m.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise UsageError(
            f"--since wants a duration or a date, not {text!r}",
            hint="e.g. --since 7d, 12h, 30m, 2w, or --since 2024-05-01",
        ) from None


@dataclass
class Tally:
    """How often one code, group or template was seen, when last, and in which build."""

    key: str
    code: str
    count: int = 0
    last_seen: float = 0.0
    example_build: int = 0
    builds: list[int] = field(default_factory=list)

    def add(self, build_id: int, when: float) -> None:
        self.count += 1
        if when >= self.last_seen:
            self.last_seen, self.example_build = when, build_id
        if len(self.builds) < 20:
            self.builds.append(build_id)

    def to_dict(self, total: int, name: str) -> dict[str, Any]:
        return {
            name: self.key,
            **({"code": self.code} if name != "code" else {}),
            "count": self.count,
            "share": round(self.count / total, 4) if total else 0.0,
            "last_seen": self.last_seen,
            "example_build": self.example_build,
        }


@dataclass(frozen=True)
class Failure:
    """The part of a stored failed build that ``errors`` aggregates."""

    build_id: int
    created_at: float
    diagnosis: dict[str, Any] | None


def summarize(failures: Iterable[Failure], limit: int = 10) -> dict[str, Any]:
    """Top codes, top groups of known codes, and mined templates of unknown failures."""
    from runner.diagnose.mine import Miner
    from runner.diagnose.redact import redact

    codes: dict[str, Tally] = {}
    groups: dict[tuple[str, str], Tally] = {}
    unknown: dict[int, Tally] = {}
    miner = Miner()
    total = undiagnosed = 0
    clusters: dict[int, Any] = {}
    for f in failures:
        total += 1
        code = (f.diagnosis or {}).get("code")
        if not code:
            undiagnosed += 1
            continue
        codes.setdefault(code, Tally(code, code)).add(f.build_id, f.created_at)
        group = redact(str((f.diagnosis or {}).get("group") or ""))
        if code == "unknown":
            if not group:
                unknown.setdefault(0, Tally(NO_LINE, code)).add(f.build_id, f.created_at)
                continue
            cluster = miner.add(group)
            clusters[cluster.id] = cluster
            unknown.setdefault(cluster.id, Tally("", code)).add(f.build_id, f.created_at)
        else:
            groups.setdefault((code, group), Tally(group or "(no group)", code)).add(
                f.build_id, f.created_at
            )
    for cid, tally in unknown.items():
        if cid:
            tally.key = clusters[cid].template  # the template as it ended up after merging

    def top(tallies: Iterable[Tally]) -> list[Tally]:
        return sorted(tallies, key=lambda t: (-t.count, -t.last_seen, t.key))[:limit]

    return {
        "failed": total,
        "undiagnosed": undiagnosed,
        "codes": [t.to_dict(total, "code") for t in top(codes.values())],
        "groups": [t.to_dict(total, "group") for t in top(groups.values())],
        "unknown": [
            {**t.to_dict(total, "template"), "builds": t.builds} for t in top(unknown.values())
        ],
    }


def iter_failures(store: Store, since: float | None) -> Iterator[Failure]:
    """Failed and timed-out builds, oldest first, read a page at a time."""
    from runner.models import Status

    after = 0
    while True:
        page = store.failed_builds(after, PAGE, statuses=(Status.FAILED, Status.TIMED_OUT))
        for b in page:
            if since is None or b.created_at >= since:
                yield Failure(b.id, b.created_at, b.diagnosis)
        if len(page) < PAGE:
            return
        after = page[-1].id


def errors(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="Only failures newer than this: 7d, 12h, 30m, 2w, or a date."
    ),
    limit: int = typer.Option(10, "--limit", "-n", help="How many codes and groups to show."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """The most common failure causes across history: count, share, last seen, an example."""
    from runner.errors import UsageError

    if limit < 1:
        raise UsageError("--limit must be at least 1", hint="e.g. --limit 20")
    cutoff = parse_since(since, time.time()) if since else None
    app_ctx = ctx.obj
    summary = summarize(iter_failures(app_ctx.store, cutoff), limit)
    summary = {"since": cutoff, **summary}
    if json_out:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    _print(app_ctx.console, summary, since)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d")


BAR = 16
_COLUMNS = (("count", 6, "right"), ("share", 5, "right"), ("", BAR, "left"))
_COLUMNS_AFTER = (("last seen", 10, "left"), ("e.g.", 7, "right"))


def _cells(r: dict[str, Any], biggest: int) -> list[Any]:
    from rich.bar import Bar

    return [
        str(r["count"]),
        f"{r['share']:.0%}",
        Bar(size=biggest, begin=0, end=r["count"], width=BAR, color="red"),
        _when(r["last_seen"]),
        f"#{r['example_build']}",
    ]


def _grid(*, header: bool, lead: int | None, code: bool = True) -> Any:
    from rich.table import Table

    grid = Table(box=None, padding=(0, 1), pad_edge=False, show_header=header)
    if lead is not None:
        grid.add_column("code", no_wrap=True, min_width=lead)
    for name, width, justify in (*_COLUMNS, *_COLUMNS_AFTER):
        grid.add_column(name, justify=justify, width=width, no_wrap=True)  # type: ignore[arg-type]
    if lead is None and code:
        grid.add_column("code", no_wrap=True)
    return grid


def _chart(console: Console, title: str, rows: list[dict[str, Any]], key: str) -> None:
    """One bar per row. A code fits on its row; a group's text goes on the line below,
    wrapped, so long masked messages stay readable on a narrow terminal."""
    from rich.padding import Padding
    from rich.text import Text

    if not rows:
        return
    console.print(Text(title, style="bold"))
    biggest = max(r["count"] for r in rows)
    if key == "code":
        grid = _grid(header=True, lead=max(len(r["code"]) for r in rows))
        for r in rows:
            grid.add_row(r["code"], *_cells(r, biggest))
        console.print(grid, soft_wrap=False)
    else:
        code = key != "template"  # templates are all of unrecognised failures
        for r in rows:
            grid = _grid(header=False, lead=None, code=code)
            grid.add_row(*_cells(r, biggest), *([r["code"]] if code else []))
            console.print(grid, soft_wrap=False)
            console.print(Padding(Text(str(r[key]), style="dim"), (0, 0, 0, 7)), soft_wrap=False)
    console.print()


def _print(console: Console, summary: dict[str, Any], since: str | None) -> None:
    from rich.text import Text

    window = f" in the last {since}" if since else ""
    if not summary["failed"]:
        console.print(f"no failed builds{window}", markup=False)
        return
    console.print(Text(f"{summary['failed']} failed build(s){window}", style="bold"))
    console.print()
    _chart(console, "causes", summary["codes"], "code")
    _chart(console, "groups", summary["groups"], "group")
    _chart(console, "unrecognised failures, grouped by template", summary["unknown"], "template")
    if summary["unknown"]:
        console.print(
            Text(
                "an unrecognised group seen in many builds is worth a rule: "
                "`pitstop explain <build>` shows its lines",
                style="dim",
            )
        )
    if summary["undiagnosed"]:
        console.print(
            Text(
                f"{summary['undiagnosed']} failed build(s) have no diagnosis: "
                "run `pitstop reclassify`",
                style="dim",
            )
        )
