"""The asyncio side of a `stratcrew-worker` process: one event loop thread that owns the runtime (database
engine, warm sandbox pool, agent pipeline, Redis bus, sweeper). Dramatiq's worker threads are plain threads;
each job (`run_execution_job`, the actor `services.scaleout.consumer` declares) hands its `run_execution`
coroutine to this loop and waits for it, so the pool and the pipeline are shared by every job of the process,
as in the embedded worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import TypeVar

from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.composition import Runtime
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory
from app.models._types import utcnow
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.insights import AgentInsights, ErrorBody
from app.services.event_log import EventLog
from app.services.execution_runner import claim, run_execution, user_at_limit
from app.services.run_storage import stored_insights
from app.services.scaleout.consumer import consumer_broker

log = logging.getLogger(__name__)
T = TypeVar("T")
USER_LIMIT_RETRY_S = 2.0  # a job of a user at MAX_RUNNING_PER_USER is looked at again after this
_current: WorkerHost | None = None
_current_lock = threading.Lock()


class WorkerHost:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stratcrew-loop", daemon=True)
        self._runtime: Runtime | None = None
        self._engine: AsyncEngine | None = None
        self._jobs: set[concurrent.futures.Future[None]] = set()

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("worker host not started")
        return self._runtime

    def start(self) -> None:
        """Builds the runtime and waits until the sandbox pool and the pipeline are warm (jobs come after)."""
        self._thread.start()
        self.call(self._start(), timeout_s=self.settings.sandbox.warmup_timeout_s + 120)

    async def _start(self) -> None:
        self._engine = create_engine(self.settings)
        self._runtime = Runtime(self.settings, create_session_factory(self._engine), role="worker")
        await self._runtime.start()
        await self._runtime.sandbox_pool.wait_ready(self.settings.sandbox.warmup_timeout_s)
        await self._runtime.pipelines.get()

    def call(self, coro: Coroutine[object, object, T], timeout_s: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    def run(self, execution_id: str) -> None:
        """Runs one execution to its end (from a Dramatiq worker thread); one whose user already has
        MAX_RUNNING_PER_USER running goes back to the queue, behind the other users' jobs."""
        if self.call(user_at_limit(self.runtime.ctx, execution_id), timeout_s=30):
            self.call(self._defer(execution_id), timeout_s=30)
            return
        future = asyncio.run_coroutine_threadsafe(run_execution(execution_id, self.runtime.ctx), self._loop)
        self._jobs.add(future)
        try:
            future.result()
        except BaseException:
            future.cancel()  # the thread was interrupted (shutdown): the lease is released in stop()
            raise
        finally:
            self._jobs.discard(future)

    async def _defer(self, execution_id: str) -> None:
        producer = getattr(self.runtime.queue, "producer", None)
        if producer is None or not await producer.send(execution_id, delay_s=USER_LIMIT_RETRY_S):
            log.warning("could not defer %s; the sweeper re-sends it", execution_id)

    def fail_dead_lettered(self, execution_id: str, reason: str) -> None:
        self.call(self._fail(execution_id, reason), timeout_s=30)

    async def _fail(self, execution_id: str, reason: str) -> None:
        ctx = self.runtime.ctx
        if not await claim(ctx, execution_id):
            return  # final already, or another worker holds it
        progress = EventLog(ctx.session_factory, ctx.bus, execution_id)

        def apply(execution: StrategyExecution) -> None:
            execution.error_message = f"The job was dead-lettered: {reason}"
            error = ErrorBody(error="DeadLettered", detail=execution.error_message)
            execution.agent_insights = stored_insights(execution, AgentInsights(error=error))

        await progress.finish(ExecutionStatus.failed, f"Failed: the job was dead-lettered: {reason}", apply)

    @property
    def running(self) -> list[str]:
        return list(self.runtime.ctx.running) if self._runtime is not None else []

    def stop(self) -> None:
        """Releases the leases of runs still going (another worker takes them at once), then closes."""
        if not self._thread.is_alive():
            return
        try:
            self.call(self._stop(), timeout_s=60)
        except Exception:
            log.exception("worker host did not stop cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _stop(self) -> None:
        if self._runtime is None:
            return
        ctx = self._runtime.ctx
        unfinished = list(ctx.running)
        for future in list(self._jobs):
            future.cancel()
        await asyncio.sleep(0.2)  # let the cancelled runs unwind before their leases are released
        if unfinished:
            log.warning("releasing %d unfinished executions: %s", len(unfinished), unfinished)
            async with ctx.session_factory() as session:
                await session.exec(
                    update(StrategyExecution)
                    .where(
                        col(StrategyExecution.id).in_(unfinished),
                        col(StrategyExecution.worker_id) == ctx.worker_id,
                    )
                    .values(lease_expires_at=utcnow())
                )
                await session.commit()
        await self._runtime.stop()
        if self._engine is not None:
            await self._engine.dispose()


def install_host(host: WorkerHost) -> None:
    global _current
    with _current_lock:
        _current = host


def current_host() -> WorkerHost:
    """The process's host; built from the environment on first use (e.g. under the plain `dramatiq` CLI)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = WorkerHost(get_settings())
            _current.start()
        return _current


def run_execution_job(execution_id: str) -> None:
    """The job body, in a Dramatiq worker thread: runs the execution on this worker process's runtime."""
    current_host().run(execution_id)


def fail_dead_lettered(execution_id: str, reason: str) -> None:
    current_host().fail_dead_lettered(execution_id, reason)


def worker_broker(settings: Settings) -> RedisBroker:
    """The broker `stratcrew-worker` consumes from: the job above as the actor, dead letters failed."""
    return consumer_broker(settings, run_execution_job, fail_dead_lettered)
