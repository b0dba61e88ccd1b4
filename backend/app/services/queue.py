"""`ExecutionQueue`: how a face hands a committed execution to whatever runs executions in this deployment
(`app.composition` picks the implementation: the in-process worker pool, Dramatiq, or none)."""

from __future__ import annotations

from typing import Protocol


class ExecutionQueue(Protocol):
    async def enqueue(self, execution_id: str) -> None:
        """Hands a committed, queued execution to a worker (never fails the request: a sweeper re-sends)."""
        ...

    async def expedite(self, execution_id: str) -> None:
        """Runs a cancelled execution that is still queued now, so it ends `cancelled` without waiting."""
        ...
