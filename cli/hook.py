"""The pre-push hook: the installed script, install/uninstall, and the run itself.

The installed ``pre-push`` is a small POSIX shell script. It saves git's stdin to a temp file
once, runs a hook that was there before (kept as ``pre-push.pitstop-chained``) with the same
arguments and stdin — its failure blocks the push — and then execs ``pitstop hook run`` with
the same stdin. ``pitstop hook run`` builds each pushed branch tip from a clean checkout of the
local object database and exits non-zero only when a build fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import tomllib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner import events as ev
from runner.errors import ExitCode, PitstopError, UsageError
from runner.hook import HookConfig, PushPlan, Target

MARKER = "# pitstop-managed pre-push hook"
CHAINED = "pre-push.pitstop-chained"
LEFTHOOK_FILES = tuple(
    f"{dot}lefthook.{ext}" for dot in ("", ".") for ext in ("yml", "yaml", "toml", "json")
)

_SCRIPT = """#!/bin/sh
{marker} (written by `pitstop hook install`; `pitstop hook uninstall` removes it and
# restores the hook that was here before). Builds the commits being pushed and blocks the push
# only when a build fails. Skip once: git push --no-verify, or PITSTOP_SKIP=1 git push.
PITSTOP={pitstop}
chained="$(dirname "$0")/{chained}"
input=$(mktemp "${{TMPDIR:-/tmp}}/pitstop-pre-push.XXXXXX") || exit 1
cat >"$input"
if [ -x "$chained" ]; then
    "$chained" "$@" <"$input" || {{ status=$?; rm -f "$input"; exit "$status"; }}
fi
if [ ! -x "$PITSTOP" ]; then
    if command -v pitstop >/dev/null 2>&1; then
        PITSTOP=pitstop
    else
        echo "pitstop: not found at $PITSTOP nor on PATH; push not checked" >&2
        rm -f "$input"
        exit 0
    fi
fi
exec 3<"$input"
rm -f "$input"
exec "$PITSTOP" hook run "$@" <&3 3<&-
"""


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def pitstop_executable() -> str:
    """The absolute path of this interpreter's ``pitstop`` console script, else of
    ``pitstop`` on PATH, else plain ``pitstop``."""
    candidates = [Path(sys.executable).parent / "pitstop"]
    if Path(sys.argv[0]).name == "pitstop":
        candidates.append(Path(sys.argv[0]))
    found = shutil.which("pitstop")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate.absolute())
    return "pitstop"


def hook_script(pitstop: str) -> str:
    """The text of the installed pre-push script."""
    return _SCRIPT.format(marker=MARKER, pitstop=_sh_quote(pitstop), chained=CHAINED)


def is_ours(path: Path) -> bool:
    """True when ``path`` is a pre-push script pitstop wrote."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return MARKER.encode() in head


def script_pitstop(path: Path) -> str | None:
    """The pitstop path an installed script names."""
    try:
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("PITSTOP="):
                value = line.removeprefix("PITSTOP=")
                return value[1:-1].replace("'\\''", "'") if value.startswith("'") else value
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------- install


@dataclass(frozen=True)
class HookState:
    """What ``pitstop hook status`` reports."""

    hooks_dir: Path
    installed: bool
    other_hook: bool
    chained: Path | None
    manager: str | None
    pitstop: str | None

    @property
    def pre_push(self) -> Path:
        return self.hooks_dir / "pre-push"

    def to_dict(self) -> dict[str, Any]:
        return {
            "hooks_dir": str(self.hooks_dir),
            "installed": self.installed,
            "other_hook": self.other_hook,
            "chained": str(self.chained) if self.chained else None,
            "manager": self.manager,
            "pitstop": self.pitstop,
        }


def hook_manager(top: Path | None, hooks_path: str | None) -> str | None:
    """``husky`` or ``lefthook`` when that tool owns the repository's hooks, else None."""
    if hooks_path and ".husky" in Path(hooks_path).parts:
        return "husky"
    if top is None:
        return None
    if (top / ".husky").is_dir():
        return "husky"
    if any((top / name).is_file() for name in LEFTHOOK_FILES):
        return "lefthook"
    return None


def manager_instructions(manager: str) -> str:
    """What to add to the hook manager's configuration instead of installing."""
    if manager == "husky":
        return 'add this line to .husky/pre-push:  pitstop hook run "$@"'
    return (
        "add to lefthook.yml (use_stdin passes git's pushed refs on):\n"
        "pre-push:\n  commands:\n    pitstop:\n      run: pitstop hook run\n      use_stdin: true"
    )


def hook_state(cwd: Path) -> HookState:
    from runner import source

    hooks = source.hooks_dir(cwd)
    top = source.toplevel(cwd)
    manager = hook_manager(top, source.config_value(cwd, "core.hooksPath"))
    pre_push = hooks / "pre-push"
    ours = is_ours(pre_push)
    chained = hooks / CHAINED
    return HookState(
        hooks_dir=hooks,
        installed=ours,
        other_hook=(pre_push.exists() or pre_push.is_symlink()) and not ours,
        chained=chained if (chained.exists() or chained.is_symlink()) else None,
        manager=manager,
        pitstop=script_pitstop(pre_push) if ours else None,
    )


def install(cwd: Path, *, force: bool = False, pitstop: str | None = None) -> list[str]:
    """Install the pre-push hook for the repository at ``cwd``; returns what was done.

    An existing pre-push hook is renamed to ``pre-push.pitstop-chained`` and run first.
    Raises :class:`UsageError` when husky or lefthook own the hooks (unless ``force``).
    """
    state = hook_state(cwd)
    if state.manager and not force:
        raise UsageError(
            f"{state.manager} manages this repository's git hooks, so pitstop did not write one",
            manager_instructions(state.manager)
            + "\n(or run `pitstop hook install --force` to install into "
            + f"{state.hooks_dir} anyway)",
        )
    exe = pitstop or pitstop_executable()
    done: list[str] = []
    state.hooks_dir.mkdir(parents=True, exist_ok=True)
    pre_push, chained = state.pre_push, state.hooks_dir / CHAINED
    if state.other_hook:
        if state.chained is not None:
            raise UsageError(
                f"both {pre_push} and {chained} exist, and {pre_push.name} is not pitstop's",
                "another tool replaced pitstop's hook; merge or remove one of them by hand, "
                "then run `pitstop hook install` again",
            )
        os.rename(pre_push, chained)
        done.append(f"kept the existing pre-push hook as {chained.name}; it runs first")
    tmp = state.hooks_dir / f".pre-push.pitstop-{os.getpid()}"
    try:
        tmp.write_text(hook_script(exe))
        os.chmod(tmp, 0o755)
        os.replace(tmp, pre_push)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    verb = "updated" if state.installed else "installed"
    done.append(f"{verb} {pre_push} (runs {exe})")
    return done


def uninstall(cwd: Path) -> list[str]:
    """Remove pitstop's pre-push hook and put back the one it chained; returns what was done."""
    state = hook_state(cwd)
    pre_push, chained = state.pre_push, state.hooks_dir / CHAINED
    if not state.installed:
        note = f"pitstop's hook is not installed in {state.hooks_dir}"
        if state.chained is not None:
            note += f"; {chained.name} was left as it is"
        return [note]
    pre_push.unlink()
    done = [f"removed {pre_push}"]
    if state.chained is not None:
        os.rename(chained, pre_push)
        done.append(f"restored the previous pre-push hook from {chained.name}")
    return done


# --------------------------------------------------------------------------- config


def load_config(top: Path) -> HookConfig:
    """``[hook]`` from ``pitstop.toml`` at the repository root (the working tree's copy)."""
    path = top / "pitstop.toml"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return HookConfig()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}", "fix the file") from exc
    return HookConfig.from_toml(data)


# --------------------------------------------------------------------------- the run


def already_built(store: Any, target: Target, *, limit: int = 500) -> int | None:
    """A succeeded build of exactly ``target`` (same commit and root), or None.

    Only builds asked for by ref count: a ``--worktree`` snapshot records HEAD as its commit
    but built the files on disk, and it is stored with no ref.
    """
    from runner.models import Status

    for record in store.list_builds(limit=limit, status=Status.SUCCEEDED):
        if (
            record.commit == target.commit
            and record.root == target.store_root
            and record.ref is not None
        ):
            return int(record.id)
    return None


_STEP_ICONS = {"ok": ("✓", "green"), "cached": ("↺", "cyan")}


class CompactSink:
    """One line per step; on a terminal a transient line shows the newest log line. Keeps the
    last lines of the current step for a failure report."""

    def __init__(self, console: Any, *, tail: int = 15) -> None:
        self.console = console
        self.tail: deque[str] = deque(maxlen=tail)
        self.live: Any = None
        self.failed_step: str | None = None

    def __enter__(self) -> CompactSink:
        if self.console.is_terminal:
            self.live = self.console.status("starting", spinner="dots")
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def __call__(self, event: ev.Event) -> None:
        from rich.text import Text

        from cli.render import display_text, human_duration

        if isinstance(event, ev.StepStarted):
            self.tail.clear()
            if self.live is not None:
                self.live.update(Text(f"{event.step}  {event.command or ''}".rstrip()))
        elif isinstance(event, ev.Log):
            text = display_text(event.text)
            if "\x1b" in text:
                text = Text.from_ansi(text).plain
            if not text.strip() or event.text.startswith("$ "):
                return
            self.tail.append(text)
            if self.live is not None:
                width = max(20, self.console.width - 16)
                self.live.update(Text(f"{event.step} │ {text[:width]}", style="dim"))
        elif isinstance(event, ev.StepFinished):
            icon, style = _STEP_ICONS.get(event.status, ("✗", "red"))
            if event.status not in _STEP_ICONS:
                self.failed_step = event.step
            code = f"  exit {event.exit_code}" if event.exit_code not in (None, 0) else ""
            note = f"  ({event.note})" if event.note else ""
            self.console.print(
                Text.assemble(
                    (f"  {icon} ", style),
                    f"{event.step} {human_duration(event.duration)}{code}{note}",
                )
            )


def _short(commit: str) -> str:
    return commit[:12]


def _refs_text(refs: tuple[str, ...]) -> str:
    return ", ".join(r.removeprefix("refs/heads/") for r in refs)


def run(
    args: list[str],
    stdin_text: str,
    *,
    app_ctx: Any,
    cwd: Path,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run the pre-push hook; returns the process exit code (0 lets the push through)."""
    from rich.text import Text

    from runner import source
    from runner.hook import env_skip_reason, from_pre_commit_env, parse_push, plan_push

    env = dict(os.environ if env is None else env)
    console = app_ctx.err_console
    started = time.monotonic()

    def say(text: str, style: str = "") -> None:
        console.print(Text.assemble(("pitstop: ", "bold"), (text, style)))

    reason = env_skip_reason(env)
    if reason:
        say(f"build skipped ({reason})", "dim")
        return int(ExitCode.OK)
    refs = parse_push(stdin_text) or from_pre_commit_env(env)
    if not refs:
        say("nothing pushed, nothing to build", "dim")
        return int(ExitCode.OK)
    top = source.toplevel(cwd) or cwd
    config = load_config(top)
    plan: PushPlan = plan_push(
        refs,
        config,
        resolve=lambda sha: source.commit_id(top, sha),
        message=lambda commit: source.commit_message(top, commit),
        changed=lambda base, head: source.changed_paths(top, base, head),
    )
    for skip in plan.skipped:
        what = f"{_short(skip.commit)} " if skip.commit else ""
        say(f"skip {what}{_refs_text((skip.ref,))}: {skip.reason}", "dim")
    if not plan.targets:
        return int(ExitCode.OK)
    try:
        store = app_ctx.store
        store.reap_abandoned()
    except PitstopError as exc:
        return _not_ready(say, config, exc.message, exc.hint)
    deadline = started + config.timeout
    for index, target in enumerate(plan.targets):
        label = _short(target.commit) + (
            f" [{target.root or '.'}]" if target.root is not None else ""
        )
        label += f" ({_refs_text(target.refs)})"
        hit = already_built(store, target)
        if hit is not None:
            say(f"{label}: already built (#{hit})", "green")
            continue
        code = _build_one(target, label, app_ctx, top, config, deadline, say)
        if code is not None:
            left = len(plan.targets) - index - 1
            if left and code != ExitCode.OK:
                say(f"{left} more build(s) not run", "dim")
            return int(code)
    return int(ExitCode.OK)


def _not_ready(say: Any, config: HookConfig, message: str, hint: str | None) -> int:
    if config.fail_open:
        say(f"warning: cannot build here: {message}", "yellow")
        if hint:
            say(f"hint: {hint}", "dim")
        say("push let through unchecked ([hook] fail_open = false in pitstop.toml blocks it)")
        return int(ExitCode.OK)
    say(f"cannot build here: {message}", "red")
    if hint:
        say(f"hint: {hint}", "dim")
    say("push blocked ([hook] fail_open = false); push anyway with git push --no-verify")
    return int(ExitCode.ENVIRONMENT)


def _build_one(
    target: Target,
    label: str,
    app_ctx: Any,
    top: Path,
    config: HookConfig,
    deadline: float,
    say: Any,
) -> ExitCode | None:
    """Build one target; None to go on with the next, else the exit code to stop with."""
    import threading

    from rich.text import Text

    from cli.commands.build import _Interrupts
    from cli.render import display_text, human_duration, print_diagnosis
    from runner.build import BuildRequest
    from runner.models import Phase, Status

    console = app_ctx.err_console
    request = BuildRequest(
        source=str(top),
        ref=target.commit,
        root=target.root,
        timeout=max(1.0, deadline - time.monotonic()),
        cwd=top,
    )
    cancel = threading.Event()
    try:
        with _Interrupts(cancel), CompactSink(console) as sink:
            build = app_ctx.new_build(request, emit=sink, cancel=cancel)
            say(f"building {label} as #{build.build_id}")
            result = build.run()
    except KeyboardInterrupt:
        say("interrupted; push blocked", "yellow")
        return ExitCode.INTERRUPTED
    except PitstopError as exc:
        return ExitCode(_not_ready(say, config, exc.message, exc.hint))
    except Exception as exc:  # a pitstop bug must not hold every push hostage
        message = f"internal error: {type(exc).__name__}: {exc}"
        return ExitCode(_not_ready(say, config, message, "run again with --debug"))
    bid = result.build_id
    if result.status == Status.SUCCEEDED:
        say(f"{label}: built in {human_duration(result.duration)} (#{bid})", "green")
        return None
    if result.status == Status.CANCELED:
        say("build canceled; push blocked", "yellow")
        return ExitCode.INTERRUPTED
    if result.status == Status.ERRORED or result.phase == Phase.CLONE:
        message = result.error or "the build could not start"
        return ExitCode(_not_ready(say, config, message.removeprefix("pitstop: "), result.hint))
    phase = f" in {result.phase}" if result.phase else ""
    console.print(
        Text.assemble(
            ("pitstop: ", "bold"),
            (f"{label}: build failed{phase} after {human_duration(result.duration)}", "bold red"),
            " — push blocked",
        )
    )
    if result.error:
        console.print(Text(f"  {result.error}"))
    evidence = (result.diagnosis or {}).get("evidence") or []
    if not evidence and sink.tail:
        console.print(Text(f"  last lines of {sink.failed_step or 'the log'}:", style="dim"))
        for line in sink.tail:
            console.print(Text(f"    {display_text(line)}"))
    if result.diagnosis:
        print_diagnosis(console, result.diagnosis)
    elif result.hint:
        console.print(Text(f"  hint: {result.hint}"))
    console.print(Text(f"  full log: pitstop view {bid}   (or: pitstop logs {bid})"))
    console.print(Text("  push anyway: git push --no-verify", style="dim"))
    return ExitCode.BUILD_FAILED
