"""Writes an execution's status changes and log lines as events: database first, then the live bus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.core.db import SessionFactory
from app.core.errors import NotFound
from app.models._types import utcnow
from app.models.event import EventPublic, ExecutionEvent
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
        # This run's last event seq and log lines, known after its first write (it holds the lease).
        self._seq: int | None = None
        self._logs: list[str] = []

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
        if self._seq is not None and not final and apply is None and not add:
            try:
                await self._append(message, progress, status)
                return
            except IntegrityError:
                self._seq = None  # another writer took the next seq (a re-claimed run): read it again
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
            self._seq, self._logs = event.seq, list(execution.execution_logs)
        await self._publish(event, final)

    async def _append(self, message: str, progress: float, status: ExecutionStatus | None) -> None:
        """A non-final event once this run knows its last seq and log: one UPDATE and one INSERT, without
        loading the execution row (a dozen of these per run; the full path costs ~3x more)."""
        assert self._seq is not None
        logs = [*self._logs, message]
        values: dict[str, Any] = {"execution_logs": logs}
        if status is not None:
            values["status"] = status
        new_status = status if status is not None else self.status
        new_progress = max(self.progress, progress)
        row = ExecutionEvent(
            execution_id=self.execution_id,
            seq=self._seq + 1,
            status=new_status,
            stage=new_status,
            message=message,
            progress=max(0.0, min(1.0, new_progress)),
        )
        async with self._factory() as session:
            result = await session.exec(
                update(StrategyExecution)
                .where(col(StrategyExecution.id) == self.execution_id)
                .values(**values)
            )
            if not result.rowcount:
                raise NotFound(f"Execution '{self.execution_id}' vanished", execution_id=self.execution_id)
            session.add(row)
            await session.commit()
        self._seq, self._logs = row.seq, logs
        self.status, self.progress = new_status, new_progress
        await self._publish(EventPublic.model_validate(row, from_attributes=True), final=False)

    async def _publish(self, event: EventPublic, final: bool) -> None:
        await self._bus.publish(self.execution_id, event.model_dump(mode="json"))
        if final:
            await self._bus.publish(self.execution_id, {"type": "end", "status": self.status})
