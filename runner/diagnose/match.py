"""The classifier engine: one pass over a log, bounded memory, a ``Diagnosis`` out.

Detection sweeps blocks of joined lines for a few literals (``rules.SCAN``) with
C-speed ``str.find``; only the lines found are tested against the rules whose lowercase
hints they hold, and only then do the rules' own regexes (which carry the captures)
run. Per rule only the first few hits are kept, so a million-line log costs no more
memory than a short one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from runner.diagnose import mine
from runner.diagnose.clean import strip_ansi, terminal_text
from runner.diagnose.redact import redact, redact_masked
from runner.diagnose.rules import ERRORISH, ERRORISH_HINTS, RULES, SCAN, Rule

BLOCK = 20_000  # lines joined per regex scan
MAX_HITS = 5  # hits kept per rule
MAX_EVIDENCE = 8
UNKNOWN_HEAD, UNKNOWN_TAIL = 50, 200  # error-looking lines kept for unknown failures
PHASES = ("init", "clone", "install", "build", "output", "health", "timeout")


@dataclass(frozen=True)
class Evidence:
    """One line of the log that supports a diagnosis (``line`` is 1-based)."""

    line: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text}


@dataclass(frozen=True)
class Diagnosis:
    """Why a build failed, the lines that prove it, and what to do."""

    code: str
    phase: str
    category: str
    fault: str
    title: str
    group: str
    explanation: str
    fix: str
    evidence: tuple[Evidence, ...] = ()
    secondary: tuple[str, ...] = ()
    captures: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "phase": self.phase,
            "category": self.category,
            "fault": self.fault,
            "title": self.title,
            "group": self.group,
            "explanation": self.explanation,
            "fix": self.fix,
            "evidence": [e.to_dict() for e in self.evidence],
            "secondary": list(self.secondary),
            "captures": dict(self.captures),
            "rule": self.rule,
        }


@dataclass
class _Hit:
    line: int  # 0-based
    text: str
    pattern: int


class _Missing(dict):  # str.format_map helper: unknown fields render as "?"
    def __missing__(self, key: str) -> str:
        return "?"


def _triggers(hints: list[str], umbrellas: Sequence[str]) -> tuple[str, ...]:
    """The few literals to search for: umbrellas stand in for hints containing them."""
    found = {next((u for u in umbrellas if u in h), h) for h in hints}
    return tuple(sorted(t for t in found if not any(o != t and o in t for o in found)))


def _lower(blob: str) -> str:
    low = blob.lower()
    if len(low) == len(blob):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in blob)  # rare: keep offsets


def _candidates(
    lines: Sequence[str], triggers: Callable[[], Sequence[str]]
) -> Iterator[tuple[int, str, str]]:
    """Yield ``(index, text, lowercase text)`` of lines holding any trigger, in order.

    Lines are joined in blocks so that each trigger is one C-speed ``str.find`` sweep;
    only the offsets found are turned into line numbers.
    """
    for base in range(0, len(lines), BLOCK):
        blob = "\n".join(lines[base : base + BLOCK])
        if "\x1b" in blob:
            blob = strip_ansi(blob)
        low = _lower(blob)
        offsets: set[int] = set()
        for t in triggers():
            i = low.find(t)
            while i != -1:
                begin = low.rfind("\n", 0, i) + 1
                offsets.add(begin)
                end = low.find("\n", i)
                if end == -1:
                    break
                i = low.find(t, end + 1)
        lineno, pos = 0, 0
        for begin in sorted(offsets):
            lineno += blob.count("\n", pos, begin)
            pos = begin
            end = blob.find("\n", begin)
            end = len(blob) if end == -1 else end
            yield base + lineno, blob[begin:end], low[begin:end]


class Classifier:
    """Compiled rules; reuse one instance (``default_classifier()``) for many logs."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._patterns = [tuple(re.compile(p) for p in r.patterns) for r in self.rules]
        self._context = [tuple(re.compile(p) for p in r.context) for r in self.rules]
        self._by_hint: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            for h in rule.hints:
                self._by_hint.setdefault(h, []).append(i)
        self._hint_list = tuple(self._by_hint)
        self._markers = tuple(sorted({m for r in self.rules for m in r.after}))
        self._triggers = tuple(SCAN)
        self._err_triggers = _triggers(list(ERRORISH_HINTS), ())
        self._errorish = re.compile(ERRORISH)

    # -- scanning -------------------------------------------------------------------
    def _scan(self, lines: Sequence[str]) -> dict[int, list[_Hit]]:
        hits: dict[int, list[_Hit]] = {}
        seen: dict[str, int] = {}
        pending = list(self._markers)  # searched for only until first seen

        def triggers() -> list[str]:
            pending[:] = [m for m in pending if m not in seen]
            return [*self._triggers, *pending]

        for n, text, low in _candidates(lines, triggers):
            if self._line(n, text, low, hits, seen):
                break
        return hits

    def _line(
        self, n: int, text: str, low: str, hits: dict[int, list[_Hit]], seen: dict[str, int]
    ) -> bool:
        stop = False
        wanted: set[int] = set()
        for h in [h for h in self._hint_list if h in low]:
            wanted.update(self._by_hint[h])
        for i in sorted(wanted):
            rule = self.rules[i]
            kept = hits.get(i)
            if kept is not None and len(kept) >= MAX_HITS:
                continue
            for j, rx in enumerate(self._patterns[i]):
                if rx.search(text):
                    if rule.after and not any(seen.get(m, n) < n for m in rule.after):
                        break
                    hits.setdefault(i, []).append(_Hit(n, text, j))
                    stop = stop or rule.stop
                    break
        for marker in self._markers:
            if marker not in seen and marker in low:
                seen[marker] = n
        return stop

    def _unknown_lines(self, lines: Sequence[str]) -> list[tuple[int, str]]:
        head: list[tuple[int, str]] = []
        tail: deque[tuple[int, str]] = deque(maxlen=UNKNOWN_TAIL)
        for n, text, _ in _candidates(lines, lambda: self._err_triggers):
            if self._errorish.search(text):
                (head if len(head) < UNKNOWN_HEAD else tail).append((n, text))
        return head + list(tail)

    # -- deciding ---------------------------------------------------------------------
    def diagnose(
        self,
        lines: Sequence[str],
        *,
        failed_step: str | None = None,
        exit_code: int | None = None,
        oom_killed: bool = False,
        phase: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> Diagnosis:
        """Classify one failed build's log (see ``runner.diagnose.diagnose``)."""
        known = dict(context or {})
        where = phase or failed_step
        hits = self._scan(lines)

        def rank(i: int) -> tuple[bool, int, int]:
            rule = self.rules[i]
            fits = not rule.phases or where is None or where in rule.phases
            return (fits, rule.priority, -hits[i][0].line)

        order = sorted(hits, key=rank, reverse=True)
        forced = None
        if oom_killed:
            forced = "out_of_memory"
        elif where == "timeout":
            forced = "timeout"
        if forced is not None:
            chosen = next((i for i in order if self.rules[i].code == forced), None)
            if chosen is None:
                rule = next(r for r in self.rules if r.code == forced)
                secondary = _codes(self.rules[i].code for i in order)
                return self._build(
                    rule,
                    [],
                    lines,
                    where,
                    secondary,
                    {"exit": str(exit_code)} if exit_code is not None else {},
                    known,
                )
            order.remove(chosen)
            order.insert(0, chosen)
        if not order:
            return self._unknown(lines, where)
        primary = self.rules[order[0]]
        secondary = tuple(
            c for c in _codes(self.rules[i].code for i in order[1:]) if c != primary.code
        )
        return self._build(primary, hits[order[0]], lines, where, secondary, {}, known)

    def _build(
        self,
        rule: Rule,
        hits: list[_Hit],
        lines: Sequence[str],
        where: str | None,
        secondary: tuple[str, ...],
        extra: dict[str, str],
        known: Mapping[str, str] | None = None,
    ) -> Diagnosis:
        i = self.rules.index(rule)
        caps: dict[str, str] = {}
        evidence: dict[int, str] = {}
        spans: list[tuple[int, int, str]] = []
        for k, hit in enumerate(hits):
            m = self._patterns[i][hit.pattern].search(hit.text)
            evidence[hit.line] = hit.text
            if m is None:
                continue
            for name, value in m.groupdict().items():
                if value is not None:
                    caps.setdefault(name, value)
                    if k == 0 and name not in rule.unmasked:
                        spans.append((m.start(name), m.end(name), name))
        ctx = self._context[i]
        if ctx and hits:
            for hit in hits:
                stop = min(len(lines), hit.line + 1 + rule.context_lines)
                for n in range(hit.line, stop):
                    text = strip_ansi(lines[n])
                    for rx in ctx:
                        m = rx.search(text)
                        if m is None:
                            continue
                        new = {
                            k: v
                            for k, v in m.groupdict().items()
                            if v is not None and k not in caps
                        }
                        if new:
                            caps.update(new)
                            evidence.setdefault(n, text)
        caps.update(extra)
        values = _Missing(dict(rule.defaults))
        values.update(known or {})  # what the runner knows beats the rule's defaults
        values.update(caps)
        values.update(_derived(caps))
        group = ""
        if rule.group:
            group = redact(rule.group.format_map(values))
        elif hits:
            group = redact_masked(hits[0].text, spans)
        else:
            group = rule.title.format_map(_Missing(rule.defaults)).replace("?", "").strip()
        ev = tuple(
            Evidence(n + 1, terminal_text(strip_ansi(t)).rstrip())
            for n, t in sorted(evidence.items())[:MAX_EVIDENCE]
        )
        return Diagnosis(
            code=rule.code,
            phase=where or rule.category,
            category=rule.category,
            fault=rule.fault,
            title=rule.title.format_map(values),
            group=group,
            explanation=rule.explanation.format_map(values),
            fix=rule.fix.format_map(values),
            evidence=ev,
            secondary=secondary,
            captures=MappingProxyType(dict(caps)),
            rule=rule.id,
        )

    def _unknown(self, lines: Sequence[str], where: str | None) -> Diagnosis:
        candidates = self._unknown_lines(lines)
        picked = mine.likely_error_lines(candidates)
        texts = dict(candidates)
        ev = tuple(Evidence(n + 1, terminal_text(texts[n]).rstrip()) for n in picked)
        top = max(picked, key=lambda n: (mine.score(texts[n]), -n)) if picked else None
        return Diagnosis(
            code="unknown",
            phase=where or "build",
            category=where or "build",
            fault="user",
            title="The build failed for a reason pitstop does not recognise yet",
            group=mine.template(texts[top]) if top is not None else "",
            explanation="No rule matched. The highlighted lines look most like the error."
            if ev
            else "No rule matched and no line looks like an error.",
            fix="Read the highlighted lines; if this failure recurs, it is worth a rule.",
            evidence=ev,
        )


def _codes(codes: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def _bare_package(module: str) -> str | None:
    if module.startswith((".", "/", "~", "#")) or ":" in module:
        return None
    parts = module.split("/")
    return "/".join(parts[:2]) if module.startswith("@") else parts[0]


def _derived(caps: Mapping[str, str]) -> dict[str, str]:
    """Values templates can use besides raw captures (empty when not applicable)."""
    out: dict[str, str] = {}
    module = caps.get("module")
    if module:
        package = _bare_package(module)
        out["install_hint"] = f"npm install {package}" if package else "it is a local path"
        out.setdefault("package", package or module)
    else:
        out["install_hint"] = "npm install <name>"
    importer = caps.get("importer")
    out["importer_note"] = f" from {importer}" if importer else ""
    out["name_note"] = f": {caps['name']}" if caps.get("name") else ""
    out["package_note"] = f" ({caps['package']})" if caps.get("package") else ""
    prop = caps.get("property")
    out["property_note"] = f": unknown property '{prop}'" if prop else ""
    return {k: v for k, v in out.items() if k not in caps}


_DEFAULT: Classifier | None = None


def default_classifier() -> Classifier:
    """The classifier over the built-in rule table (compiled once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Classifier()
    return _DEFAULT
