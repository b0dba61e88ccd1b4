"""An execution's event log: the one owner of its sequence numbers, its log lines and its stage weights.

Every status change and log line of an execution is one `ExecutionEvent` row (`seq` 1, 2, 3... without
gaps), written to the database first and then published on the live bus. Writing before publishing is what
lets a watcher that reconnects with `after=SEQ` replay from the database and miss nothing. The API's
`execution_logs` are these events' messages (`log_lines`): each line is stored once.

Progress (0 to 1) comes from the stage an event belongs to (`PROGRESS`), never from the caller's own
numbers, so every writer reports the same scale; it never moves back.

>>> PROGRESS[ExecutionStatus.executing], PROGRESS[Milestone.backtest_ran]
(0.55, 0.85)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import SessionFactory
from app.core.errors import NotFound
from app.models._types import utcnow
from app.models.event import EventPublic, ExecutionEvent
from app.models.execution import StrategyExecution
from app.models.status import ExecutionStatus, Milestone
from app.services.event_bus import EventBus

# Where each stage starts (and two points inside `executing`); a final status is 1.0.
PROGRESS: dict[ExecutionStatus | Milestone, float] = {
    ExecutionStatus.queued: 0.0,
    ExecutionStatus.analyzing: 0.1,
    ExecutionStatus.generating_code: 0.35,
    ExecutionStatus.executing: 0.55,
    Milestone.backtest_ran: 0.85,
    Milestone.results_ready: 0.9,
}
QUEUED_MESSAGE = "Queued"


def first_event(execution: StrategyExecution) -> ExecutionEvent:
    """Event 1 of a new execution, added in the same commit as the row, so a watcher's replay starts with
    the creation."""
    return ExecutionEvent(
        execution_id=execution.id,
        seq=1,
        status=ExecutionStatus.queued,
        stage=ExecutionStatus.queued,
        message=QUEUED_MESSAGE,
        progress=PROGRESS[ExecutionStatus.queued],
    )


async def events_after(session: AsyncSession, execution_id: str, after: int) -> list[EventPublic]:
    rows = await session.exec(
        select(ExecutionEvent)
        .where(ExecutionEvent.execution_id == execution_id, col(ExecutionEvent.seq) > after)
        .order_by(col(ExecutionEvent.seq))
    )
    return [EventPublic.model_validate(row, from_attributes=True) for row in rows.all()]


async def log_lines(session: AsyncSession, execution_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each execution's log, in order (one query for any number of executions)."""
    lines: dict[str, list[str]] = defaultdict(list)
    if not execution_ids:
        return lines
    rows = await session.exec(
        select(ExecutionEvent.execution_id, ExecutionEvent.message)
        .where(col(ExecutionEvent.execution_id).in_(list(execution_ids)))
        .order_by(col(ExecutionEvent.execution_id), col(ExecutionEvent.seq))
    )
    for execution_id, message in rows.all():
        lines[execution_id].append(message)
    return lines


class EventLog:
    """One run's writer (the pipeline's `Events`): each call is one committed event, then published.

    The run holds the execution's lease, so after its first write it knows the last `seq` and appends with
    one INSERT; if another writer took that number meanwhile (a re-claimed run), it reads the last one again.
    """

    def __init__(self, session_factory: SessionFactory, bus: EventBus, execution_id: str) -> None:
        self._factory = session_factory
        self._bus = bus
        self.execution_id = execution_id
        self.status = ExecutionStatus.queued
        self.progress = 0.0
        self._seq: int | None = None

    async def stage(self, status: ExecutionStatus, message: str) -> None:
        """The run enters `status` (analyzing, generating_code, executing)."""
        await self._write(message, PROGRESS[status], status=status)

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        """A log line of the current stage; a milestone moves the progress to its point."""
        await self._write(message, self.progress if milestone is None else PROGRESS[milestone])

    async def step(self, message: str, done: int, total: int) -> None:
        """A log line of `executing` that is ``done`` of ``total`` units of work (a sweep's combinations):
        the progress moves that share of the way from `executing` to `backtest_ran`."""
        start, end = PROGRESS[ExecutionStatus.executing], PROGRESS[Milestone.backtest_ran]
        share = min(max(done / total, 0.0), 1.0) if total > 0 else 1.0
        await self._write(message, max(self.progress, start + (end - start) * share))

    async def finish(
        self,
        status: ExecutionStatus,
        message: str,
        apply: Callable[[StrategyExecution], object] | None = None,
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
        apply: Callable[[StrategyExecution], object] | None = None,
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
            session.add(execution)
            for row in add:
                session.add(row)
            self.progress = max(self.progress, progress)
            event = self._event(await _last_seq(session, self.execution_id) + 1, message)
            session.add(event)
            await session.commit()
        self._seq = event.seq
        await self._publish(event, final)

    async def _append(self, message: str, progress: float, status: ExecutionStatus | None) -> None:
        """A non-final event once this run knows its last seq: one INSERT (and an UPDATE when the status
        changes), without loading the execution row (a dozen of these per run)."""
        assert self._seq is not None
        previous = (self.status, self.progress)
        if status is not None:
            self.status = status
        self.progress = max(self.progress, progress)
        event = self._event(self._seq + 1, message)
        try:
            async with self._factory() as session:
                if status is not None:
                    result = await session.exec(
                        update(StrategyExecution)
                        .where(col(StrategyExecution.id) == self.execution_id)
                        .values(status=status)
                    )
                    if not result.rowcount:
                        raise NotFound(
                            f"Execution '{self.execution_id}' vanished", execution_id=self.execution_id
                        )
                session.add(event)
                await session.commit()
        except BaseException:
            self.status, self.progress = previous
            raise
        self._seq = event.seq
        await self._publish(event, final=False)

    def _event(self, seq: int, message: str) -> ExecutionEvent:
        return ExecutionEvent(
            execution_id=self.execution_id,
            seq=seq,
            status=self.status,
            stage=self.status,
            message=message,
            progress=max(0.0, min(1.0, self.progress)),
        )

    async def _publish(self, event: ExecutionEvent, final: bool) -> None:
        public = EventPublic.model_validate(event, from_attributes=True)
        await self._bus.publish(self.execution_id, public.model_dump(mode="json"))
        if final:
            await self._bus.publish(self.execution_id, {"type": "end", "status": self.status})


async def _last_seq(session: AsyncSession, execution_id: str) -> int:
    last = await session.exec(
        select(func.coalesce(func.max(ExecutionEvent.seq), 0)).where(
            ExecutionEvent.execution_id == execution_id
        )
    )
    return int(last.one())
