"""An execution's lifecycle: queued, three running stages, three final statuses (contract)."""

from enum import StrEnum


class ExecutionStatus(StrEnum):
    queued = "queued"
    analyzing = "analyzing"
    generating_code = "generating_code"
    executing = "executing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_running(self) -> bool:
        return self in RUNNING_STATUSES


FINAL_STATUSES = frozenset({ExecutionStatus.completed, ExecutionStatus.failed, ExecutionStatus.cancelled})
RUNNING_STATUSES = frozenset(
    {ExecutionStatus.analyzing, ExecutionStatus.generating_code, ExecutionStatus.executing}
)
NOT_FINAL_STATUSES = [ExecutionStatus.queued.value, *(s.value for s in RUNNING_STATUSES)]


class Milestone(StrEnum):
    """Points inside the `executing` stage that the progress bar moves to (weights: `event_log.PROGRESS`)."""

    backtest_ran = "backtest_ran"
    results_ready = "results_ready"
