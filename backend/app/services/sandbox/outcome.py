"""Turn what happened to a run into a SandboxResult or a plainly worded error.

>>> from app.services.sandbox.slot import RunOutcome
>>> outcome = RunOutcome("timeout", None, b"", "", "step 3\\n", 30.0)
>>> try:
...     interpret(outcome, SandboxSettings(), timeout_s=30, versions={})
... except SandboxLimitExceeded as err:
...     print(err.message)
Backtest stopped: wall-clock limit 30 s exceeded while running (last output: step 3).
"""

from __future__ import annotations

import errno
import signal

from pydantic import ValidationError

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox.errors import (
    CodeRaised,
    InvalidSandboxResult,
    ResultTooLarge,
    SandboxCancelled,
    SandboxLimitExceeded,
    SandboxUnavailable,
)
from app.services.sandbox.result import ChildError, ChildReport, SandboxResult
from app.services.sandbox.slot import RunOutcome

_ERRNO_LIMITS = {errno.EFBIG: "file_size", errno.ENOSPC: "tmp_space", errno.EMFILE: "open_files"}


def _signal_name(status: int) -> str:
    try:
        return signal.Signals(-status).name
    except ValueError:
        return f"signal {-status}"


def _limit_value(limit: str, settings: SandboxSettings, timeout_s: float) -> str:
    return {
        "wall_time": f"{timeout_s:g} s",
        "cpu_time": f"{settings.cpu_limit_s} s",
        "memory": f"{settings.memory_limit_mb} MB",
        "address_space": f"{settings.address_space_limit_mb} MB",
        "processes": f"{settings.max_processes}",
        "output": f"{settings.output_limit_bytes:,} bytes",
        "file_size": f"{settings.max_file_size_mb} MB",
        "open_files": f"{settings.max_open_files}",
        "tmp_space": f"{settings.tmpfs_size_mb} MB",
        "result_size": f"{settings.result_limit_bytes:,} bytes",
    }[limit]


# What each limit counts, when the number alone would not say it.
_SCOPES = {
    "memory": "all of the run's processes together",
    "address_space": "address space of one process",
    "processes": "processes and threads of the run",
}


def _exceeded(
    limit: str, outcome: RunOutcome, settings: SandboxSettings, timeout_s: float
) -> SandboxLimitExceeded:
    last = outcome.stderr.strip() or outcome.stdout.strip()
    value = _limit_value(limit, settings, timeout_s)
    # A process over RLIMIT_AS and a run over its memory cgroup are both the memory limit to the author.
    return SandboxLimitExceeded(
        "memory" if limit == "address_space" else limit, value, last, scope=_SCOPES.get(limit, "")
    )


def _error_limit(error: ChildError) -> str | None:
    if error.type == "MemoryError":
        return "address_space"
    if error.errno in _ERRNO_LIMITS:
        return _ERRNO_LIMITS[error.errno]
    if error.errno == errno.EAGAIN and ("fork" in error.traceback_tail or "spawn" in error.traceback_tail):
        return "processes"
    if "can't start new thread" in error.message:
        return "processes"
    return None


def interpret(
    outcome: RunOutcome, settings: SandboxSettings, *, timeout_s: float, versions: dict[str, str]
) -> SandboxResult:
    if outcome.reason == "cancel":
        raise SandboxCancelled()
    if outcome.reason == "timeout":
        raise _exceeded("wall_time", outcome, settings, timeout_s)
    if outcome.reason == "result_size":
        raise ResultTooLarge(outcome.result_bytes, outcome.result_limit or settings.result_limit_bytes)
    if outcome.reason == "output":
        raise _exceeded(outcome.reason, outcome, settings, timeout_s)
    if outcome.done is None:
        raise SandboxUnavailable(f"the sandbox process died during the run ({outcome.stderr.strip()[-300:]})")
    status = int(outcome.done.get("status") or 0)
    cpu_s = float(outcome.done.get("cpu_s") or 0.0)
    if int(outcome.done.get("oom_kills") or 0) > 0:  # whatever the run reported after that, it failed
        raise _exceeded("memory", outcome, settings, timeout_s)
    if status == -signal.SIGXCPU or (status == -signal.SIGKILL and cpu_s >= settings.cpu_limit_s - 0.5):
        raise _exceeded("cpu_time", outcome, settings, timeout_s)
    if not outcome.result:
        how = _signal_name(status) if status < 0 else f"exit code {status}"
        raise InvalidSandboxResult(f"the run ended ({how}) without a result", outcome.stderr)
    try:
        report = ChildReport.model_validate_json(outcome.result)
    except ValidationError as exc:
        raise InvalidSandboxResult(
            f"the result does not match the schema: {exc.errors()[:3]}", outcome.stderr
        ) from None
    if report.error is not None:
        limit = _error_limit(report.error)
        if limit is not None:
            raise _exceeded(limit, outcome, settings, timeout_s)
        where = f" at line {report.error.line}" if report.error.line else ""
        raise CodeRaised(
            f"Strategy code raised {report.error.type}{where}: {report.error.message}",
            report.error.line,
            report.error.traceback_tail[-2000:],
        )
    if report.ok is None:
        raise InvalidSandboxResult("the result has neither a payload nor an error", outcome.stderr)
    ok = report.ok
    for what, count, bound in (
        ("equity points", len(ok.equity), settings.max_result_points),
        ("trades", len(ok.trades), settings.max_result_trades),
    ):
        if count > bound:  # the harness bounds both: only a run that bypassed it gets here
            raise InvalidSandboxResult(f"the run handed back {count:,} {what}, more than {bound:,}", "")
    return SandboxResult(
        equity=ok.equity,
        trades=ok.trades,
        signals=ok.signals,
        points_total=max(ok.points_total, len(ok.equity)) if ok.points_total is not None else None,
        trades_total=max(ok.trades_total, len(ok.trades)) if ok.trades_total is not None else None,
        stdout_tail=outcome.stdout,
        stderr_tail=outcome.stderr,
        duration_s=outcome.duration_s,
        library_versions=versions,
        sweep=ok.sweep,
        bias_check=ok.bias_check,
    )
