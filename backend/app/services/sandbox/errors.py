"""The sandbox's domain errors; each names the problem in words a strategy author can act on.

>>> err = SandboxLimitExceeded("wall_time", "30 s", "", doing="running")
>>> err.message
'Backtest stopped: wall-clock limit 30 s exceeded while running (no output).'
"""

from __future__ import annotations

from typing import Any

from app.core.errors import DomainError

# How each limit is named in messages; the keys are the `limit` field values.
LIMIT_WORDS = {
    "wall_time": "wall-clock",
    "cpu_time": "CPU-time",
    "memory": "memory",
    "processes": "process",
    "output": "output",
    "file_size": "file-size",
    "open_files": "open-files",
    "tmp_space": "scratch-space",
    "result_size": "result-size",
}


class CodePolicyViolation(DomainError):
    """The code uses something the AST policy forbids; `violations` lists every finding."""

    status_code = 422

    def __init__(self, violations: list[dict[str, Any]]) -> None:
        first = violations[0] if violations else {"line": 0, "message": "?"}
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(
            f"Code rejected by the sandbox policy: line {first['line']}: {first['message']}{more}",
            violations=violations,
        )


class SandboxLimitExceeded(DomainError):
    status_code = 422

    def __init__(
        self, limit: str, value: str, stderr_tail: str, *, doing: str = "running", scope: str = ""
    ) -> None:
        """`scope` says what the limit counts, e.g. "all of the run's processes together"."""
        words = LIMIT_WORDS.get(limit, limit)
        tail = stderr_tail.strip()
        last = f"last output: {tail[-300:]}" if tail else "no output"
        scope = f", {scope}" if scope else ""
        super().__init__(
            f"Backtest stopped: {words} limit {value} exceeded while {doing}{scope} ({last}).",
            limit=limit,
            value=value,
            stderr_tail=stderr_tail,
        )


class ResultTooLarge(SandboxLimitExceeded):
    """The run wrote more than the result limit on its result channel; it was stopped there."""

    def __init__(self, size: int, limit: int) -> None:
        DomainError.__init__(
            self,
            f"Backtest stopped: result too large: {size:,} bytes, limit {limit:,} "
            "(the run was stopped once it passed the limit)",
            limit="result_size",
            value=f"{limit:,} bytes",
            size=size,
        )


class CodeRaised(DomainError):
    """The strategy code raised an exception; `line` is the line in the submitted code (None if unknown)."""

    status_code = 422

    def __init__(self, message: str, line: int | None, traceback_tail: str) -> None:
        super().__init__(message, line=line, traceback_tail=traceback_tail)


class SandboxUnavailable(DomainError):
    status_code = 503

    def __init__(self, reason: str) -> None:
        super().__init__(f"Sandbox unavailable: {reason}", reason=reason)


class SandboxBusy(SandboxUnavailable):
    """The wait queue is full: back-pressure instead of unbounded queuing."""


class InvalidSandboxResult(DomainError):
    status_code = 502

    def __init__(self, reason: str, stderr_tail: str = "") -> None:
        super().__init__(
            f"The sandbox returned no valid result: {reason}", reason=reason, stderr_tail=stderr_tail
        )


class SandboxCancelled(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__("Backtest cancelled.")
