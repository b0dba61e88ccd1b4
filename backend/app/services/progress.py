"""Writes an execution's status changes and log lines as events: database first, then the live bus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.core.db import SessionFactory
from app.core.errors import NotFound
from app.models._types import utcnow
from app.models.execution import ExecutionStatus, StrategyExecution
from app.services.events import EventBus, append_event

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlmodel import SQLModel


STAGE_PROGRESS = {
    ExecutionStatus.queued: 0.0,
    ExecutionStatus.analyzing: 0.1,
    ExecutionStatus.generating_code: 0.35,
    ExecutionStatus.executing: 0.55,
}


class ExecutionProgress:
    """The pipeline's `Progress`: each call is one committed event, then published."""

    def __init__(self, session_factory: SessionFactory, bus: EventBus, execution_id: str) -> None:
        self._factory = session_factory
        self._bus = bus
        self.execution_id = execution_id
        self.status: str = ExecutionStatus.queued
        self.progress = 0.0

    async def stage(self, status: str, message: str, progress: float) -> None:
        await self._write(message, progress, status=ExecutionStatus(status))

    async def log(self, message: str, progress: float | None = None) -> None:
        await self._write(message, self.progress if progress is None else progress)

    async def finish(
        self,
        status: ExecutionStatus,
        message: str,
        apply: Callable[[StrategyExecution], Any] | None = None,
        add: Sequence[SQLModel] = (),
    ) -> None:
        """The final event: sets the final status, whatever `apply` sets and the rows in `add` (the
        BacktestRun) in one commit, so a run interrupted here leaves nothing half-written to trip a re-run."""
        await self._write(message, 1.0, status=status, apply=apply, final=True, add=add)

    async def _write(
        self,
        message: str,
        progress: float,
        *,
        status: ExecutionStatus | None = None,
        apply: Callable[[StrategyExecution], Any] | None = None,
        final: bool = False,
        add: Sequence[SQLModel] = (),
    ) -> None:
        async with self._factory() as session:
            execution = await session.get(StrategyExecution, self.execution_id)
            if execution is None:
                raise NotFound(f"Execution '{self.execution_id}' vanished", execution_id=self.execution_id)
            if status is not None:
                execution.status = status
                self.status = status
            if final:
                execution.completed_at = utcnow()
                execution.lease_expires_at = None
            if apply is not None:
                apply(execution)
            for row in add:
                session.add(row)
            self.progress = max(self.progress, progress)
            event = await append_event(
                session, execution, stage=self.status, message=message, progress=self.progress
            )
            await session.commit()
        await self._bus.publish(self.execution_id, event.model_dump(mode="json"))
        if final:
            await self._bus.publish(self.execution_id, {"type": "end", "status": self.status})
