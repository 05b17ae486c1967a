"""The one error family: a message in the user's words, a hint, an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (the pre-push hook relies on them)."""

    OK = 0
    BUILD_FAILED = 1
    USAGE = 2
    INTERNAL = 3
    ENVIRONMENT = 4
    INTERRUPTED = 130


class PitstopError(Exception):
    """An expected failure: ``message`` says what happened, ``hint`` what to do."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "exit_code": int(self.exit_code),
        }


class UsageError(PitstopError):
    """The command line or a config file asks for something invalid."""

    exit_code = ExitCode.USAGE


class SourceError(PitstopError):
    """The source could not be resolved or checked out (build phase ``clone``)."""

    exit_code = ExitCode.BUILD_FAILED


class DetectError(PitstopError):
    """The project could not be planned: malformed manifest, nothing to build."""

    exit_code = ExitCode.BUILD_FAILED


class EnvironmentProblem(PitstopError):
    """The machine is not ready: no Docker engine, no image and no way to build one."""

    exit_code = ExitCode.ENVIRONMENT


class NotFound(UsageError):
    """A build id or other named thing does not exist."""
