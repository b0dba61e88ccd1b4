"""The long-lived parts of one process: event bus, market data, sandbox pool, memory, agent pipeline and the
in-process worker. Heavy imports (crewai, mem0/torch) load in a background thread after start, never on the
request path."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

from app.core.config import Settings
from app.core.db import SessionFactory
from app.services.event_bus import EventBus
from app.services.execution_runner import RunnerContext, run_execution
from app.services.heap import freeze_startup_heap
from app.services.language import warmup_scripts
from app.services.market_data import MarketData
from app.services.memory import MemoryService
from app.services.research import sandbox_packages
from app.services.sandbox import SandboxPool
from app.services.scaleout.sweeper import LeaseSweeper, MemoryLedger
from app.services.worker import InProcessWorker

if TYPE_CHECKING:
    from app.agents.pipeline import ExecutionPipeline
    from app.services.scaleout.wiring import ScaleOut

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        sandbox_pool: SandboxPool | None = None,
        memory: MemoryService | None = None,
        role: Literal["api", "worker"] = "api",
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        # Scale-out: an API process serves and enqueues, a worker process (app.worker_main) runs executions.
        self.role = role
        self.scaleout_mode = settings.queue == "dramatiq"
        self.runs_executions = role == "worker" or not self.scaleout_mode
        self.bus = EventBus()
        worker_id = "inprocess"
        if self.scaleout_mode:
            from app.services.scaleout.wiring import build_bus, process_id

            self.bus = build_bus(settings, role)
            worker_id = process_id(role)
        self.scaleout: ScaleOut | None = None
        self.sweeper: LeaseSweeper | None = None
        self.market_data = MarketData.from_settings(settings, session_factory)
        self._owns_pool = sandbox_pool is None  # tests share one warm pool across app instances
        self.sandbox_pool = sandbox_pool or SandboxPool(
            settings.sandbox, warmup_scripts=warmup_scripts(), packages=sandbox_packages()
        )
        self._owns_memory = memory is None  # tests share one memory store (Qdrant locks its folder)
        self.memory = memory or MemoryService.from_settings(settings)
        self._pipeline: asyncio.Future[ExecutionPipeline] | None = None
        self.pipeline_status = "not started"
        self.worker: InProcessWorker | None = None
        self.ctx = RunnerContext(
            settings,
            session_factory,
            self.bus,
            self.get_pipeline,
            worker_id=worker_id,
            lease_s=settings.lease_s,
        )

    async def start(self) -> None:
        await self.bus.start()
        if self._owns_pool and self.runs_executions:
            await self.sandbox_pool.start()
        if self.settings.warm_agents_on_start and self.runs_executions:
            self._pipeline_future()
        if self.settings.start_worker and self.settings.queue == "inprocess":
            self.worker = InProcessWorker(self.ctx, self.settings.worker_concurrency)
            await self.worker.start()
            # Backstop for a run that stopped without a final status (its lease ran out): run it again.
            self.sweeper = LeaseSweeper(
                self.session_factory,
                MemoryLedger(),
                self._enqueue_local,
                interval_s=self.settings.sweep_interval_s,
                resend_after_s=self.settings.lease_s,
                include_unleased=False,
            )
            self.sweeper.start()
        if self.scaleout_mode:
            from app.services.scaleout.wiring import ScaleOut

            self.scaleout = ScaleOut(self.settings, self.session_factory)
            self.scaleout.start()

    @property
    def queue(self) -> Runtime:
        return self

    async def enqueue(self, execution_id: str) -> None:
        if self.scaleout is not None:
            await self.scaleout.queue.enqueue(execution_id)
        elif self.worker is not None:
            await self.worker.enqueue(execution_id)

    async def _enqueue_local(self, execution_id: str) -> bool:
        await self.enqueue(execution_id)
        return True

    async def expedite(self, execution_id: str) -> None:
        """Runs a cancelled, still-queued execution now, so it ends `cancelled` without waiting its turn.

        Any process can: `run_execution` claims it and, seeing the cancel flag, ends it before any work.
        """
        if self.worker is not None or self.scaleout is not None:
            asyncio.get_running_loop().create_task(run_execution(execution_id, self.ctx))

    def _pipeline_future(self) -> asyncio.Future[ExecutionPipeline]:
        if self._pipeline is None:
            self.pipeline_status = "loading"
            self._pipeline = asyncio.ensure_future(asyncio.to_thread(self._build_pipeline))
            self._pipeline.add_done_callback(self._pipeline_built)
        return self._pipeline

    def _build_pipeline(self) -> ExecutionPipeline:
        from app.agents.pipeline import build_pipeline

        pipeline = build_pipeline(self.settings, self.market_data, self.sandbox_pool, self.memory)
        timings = pipeline.warm()  # imports crewai, starts mem0 (torch): seconds, so off the event loop
        freeze_startup_heap()
        log.info("agent pipeline ready (%s mode): %s", pipeline.mode, timings)
        return pipeline

    def _pipeline_built(self, future: asyncio.Future[ExecutionPipeline]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.pipeline_status = f"failed: {future.exception()!r}"
            log.error("agent pipeline failed to load: %r", future.exception())
        else:
            self.pipeline_status = "ready"

    async def get_pipeline(self) -> ExecutionPipeline:
        return await asyncio.shield(self._pipeline_future())

    async def stop(self) -> None:
        if self.sweeper is not None:
            await self.sweeper.stop()
        if self.scaleout is not None:
            await self.scaleout.stop()
        if self.worker is not None:
            await self.worker.stop()
        if self._pipeline is not None and not self._pipeline.done():
            await asyncio.gather(self._pipeline, return_exceptions=True)
        if self._owns_pool:
            await self.sandbox_pool.close()
        if self._owns_memory:
            await self.memory.close()
        await self.bus.close()
