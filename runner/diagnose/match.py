"""The classifier engine: one pass over a log, bounded memory, a ``Diagnosis`` out.

Detection runs one non-capturing alternation of every rule pattern over blocks of
joined lines (the regex engine scans in C); only lines it flags are tested against the
rules' own regexes, which carry the captures. Per rule only the first few hits are kept,
so a million-line log costs no more memory than a short one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from runner.diagnose import mine
from runner.diagnose.clean import strip_ansi, terminal_text
from runner.diagnose.redact import redact, redact_masked
from runner.diagnose.rules import ERRORISH, RULES, Rule

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


_NAMED = re.compile(r"\(\?P<\w+>")


class Classifier:
    """Compiled rules; reuse one instance (``default_classifier()``) for many logs."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._patterns = [tuple(re.compile(p) for p in r.patterns) for r in self.rules]
        self._context = [tuple(re.compile(p) for p in r.context) for r in self.rules]
        markers = sorted({r.after for r in self.rules if r.after})
        self._markers = {m: re.compile(m) for m in markers}
        alternatives = [p for r in self.rules for p in r.patterns] + markers
        self._detect = re.compile(
            "|".join(f"(?:{_NAMED.sub('(?:', p)})" for p in alternatives), re.M
        )
        self._errorish = re.compile(ERRORISH)

    # -- scanning -------------------------------------------------------------------
    def _scan(self, lines: Sequence[str]) -> tuple[dict[int, list[_Hit]], bool]:
        hits: dict[int, list[_Hit]] = {}
        seen_markers: dict[str, int] = {}
        stopped = False
        for base in range(0, len(lines), BLOCK):
            blob = "\n".join(lines[base : base + BLOCK])
            if "\x1b" in blob:
                blob = strip_ansi(blob)
            lineno, pos, last = 0, 0, -1
            for m in self._detect.finditer(blob):
                start = max(m.start(), m.end() - 1)  # \s may match the previous newline
                lineno += blob.count("\n", pos, start)
                pos = start
                if lineno == last:
                    continue
                last = lineno
                begin = blob.rfind("\n", 0, start) + 1
                end = blob.find("\n", start)
                text = blob[begin : end if end >= 0 else len(blob)]
                if self._line(base + lineno, text, hits, seen_markers):
                    stopped = True
                    break
            if stopped:
                break
        return hits, stopped

    def _line(self, n: int, text: str, hits: dict[int, list[_Hit]], seen: dict[str, int]) -> bool:
        stop = False
        for i, rule in enumerate(self.rules):
            kept = hits.get(i)
            if kept is not None and len(kept) >= MAX_HITS:
                continue
            for j, rx in enumerate(self._patterns[i]):
                if rx.search(text):
                    if rule.after and seen.get(rule.after, n) >= n:
                        break
                    hits.setdefault(i, []).append(_Hit(n, text, j))
                    stop = stop or rule.stop
                    break
        for marker, rx in self._markers.items():
            if marker not in seen and rx.search(text):
                seen[marker] = n
        return stop

    def _unknown_lines(self, lines: Sequence[str]) -> list[tuple[int, str]]:
        head: list[tuple[int, str]] = []
        tail: deque[tuple[int, str]] = deque(maxlen=UNKNOWN_TAIL)
        for base in range(0, len(lines), BLOCK):
            blob = "\n".join(lines[base : base + BLOCK])
            if "\x1b" in blob:
                blob = strip_ansi(blob)
            lineno, pos, last = 0, 0, -1
            for m in self._errorish.finditer(blob):
                start = m.start()
                lineno += blob.count("\n", pos, start)
                pos = start
                if lineno == last:
                    continue
                last = lineno
                begin = blob.rfind("\n", 0, start) + 1
                end = blob.find("\n", start)
                item = (base + lineno, blob[begin : end if end >= 0 else len(blob)])
                (head if len(head) < UNKNOWN_HEAD else tail).append(item)
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
    ) -> Diagnosis:
        """Classify one failed build's log (see ``runner.diagnose.diagnose``)."""
        where = phase or failed_step
        hits, _ = self._scan(lines)

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
                )
            order.remove(chosen)
            order.insert(0, chosen)
        if not order:
            return self._unknown(lines, where)
        primary = self.rules[order[0]]
        secondary = tuple(
            c for c in _codes(self.rules[i].code for i in order[1:]) if c != primary.code
        )
        return self._build(primary, hits[order[0]], lines, where, secondary, {})

    def _build(
        self,
        rule: Rule,
        hits: list[_Hit],
        lines: Sequence[str],
        where: str | None,
        secondary: tuple[str, ...],
        extra: dict[str, str],
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
