"""The composition root: what one process (an API process or a `stratcrew-worker`) is built from, wired once.

A process runs on one of two backends, chosen here and nowhere else:

* `EmbeddedBackend` (the default: one machine, no services): the in-process event bus; the queue is a pool
  of worker tasks in this process (or none, with ``START_WORKER=false``: executions wait for a process
  that has one); a lease sweeper that re-runs what a run left without a final status.
* `ScaleOutBackend` (``REDIS_URL`` set): events over Redis pub/sub; the queue sends Dramatiq jobs that
  `stratcrew-worker` processes run; a lease sweeper shared through Redis by every process.

Each supplies a bus, a queue and a sweeper; `Runtime` adds what both need (market data, the warm sandbox
pool, memory, the agent pipeline, the job runner's context) and the background tasks it must not lose.
Heavy imports (crewai, mem0/torch) load in a background thread after start, never on the request path.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Literal, Protocol

import redis.asyncio as aioredis

from app.agents.pipeline import ExecutionPipeline, build_pipeline
from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.tasks import BackgroundTasks
from app.services.event_bus import EventBus
from app.services.execution_runner import RunnerContext, run_execution
from app.services.heap import freeze_startup_heap
from app.services.language import warmup_scripts
from app.services.market_data import MarketData
from app.services.memory import MemoryService
from app.services.pipeline import Pipeline
from app.services.queue import ExecutionQueue
from app.services.research import sandbox_packages
from app.services.sandbox import SandboxPool
from app.services.scaleout.producer import DramatiqProducer
from app.services.scaleout.redis_bus import RedisEventBus
from app.services.scaleout.sweeper import LeaseSweeper, MemoryLedger, RedisLedger
from app.services.worker import InProcessWorker

log = logging.getLogger(__name__)
Role = Literal["api", "worker"]
SHUTDOWN_GRACE_S = 5.0  # background runs (expedited cancels) finish within this, else they are cancelled


class Backend(Protocol):
    @property
    def bus(self) -> EventBus: ...

    @property
    def worker_id(self) -> str: ...

    @property
    def runs_executions(self) -> bool:
        """This process runs executions (else it only creates and watches them)."""
        ...

    def open(self, ctx: RunnerContext, tasks: BackgroundTasks) -> ExecutionQueue:
        """This process's queue (and what consumes or sweeps it), once the runner's context exists."""
        ...

    async def start(self) -> None:
        """Starts consuming and sweeping (the bus is started before, by the runtime)."""
        ...

    async def stop(self) -> None: ...


class ParkedQueue:
    """No worker in this process: an execution stays queued until a process with one starts (and recovers
    it)."""

    async def enqueue(self, execution_id: str) -> None:
        log.info("execution %s queued; no worker in this process", execution_id)

    async def expedite(self, execution_id: str) -> None:
        return None


class LocalQueue:
    """The in-process worker pool; a cancelled execution still queued runs at once (to end `cancelled`)."""

    def __init__(self, worker: InProcessWorker, ctx: RunnerContext, tasks: BackgroundTasks) -> None:
        self.worker = worker
        self._ctx = ctx
        self._tasks = tasks

    async def enqueue(self, execution_id: str) -> None:
        await self.worker.enqueue(execution_id)

    async def expedite(self, execution_id: str) -> None:
        self._tasks.spawn(run_execution(execution_id, self._ctx), name=f"expedite {execution_id}")

    async def send(self, execution_id: str) -> bool:
        await self.enqueue(execution_id)
        return True


class DramatiqQueue:
    """Scale-out: jobs go to the workers through Redis; a cancelled execution still queued is ended here
    (`run_execution` claims it and, seeing the cancel flag, ends it before any work)."""

    def __init__(self, producer: DramatiqProducer, ctx: RunnerContext, tasks: BackgroundTasks) -> None:
        self.producer = producer
        self._ctx = ctx
        self._tasks = tasks

    async def enqueue(self, execution_id: str) -> None:
        await self.producer.enqueue(execution_id)

    async def expedite(self, execution_id: str) -> None:
        self._tasks.spawn(run_execution(execution_id, self._ctx), name=f"expedite {execution_id}")


class EmbeddedBackend:
    def __init__(self, settings: Settings, session_factory: SessionFactory) -> None:
        self._settings = settings
        self._factory = session_factory
        self.bus = EventBus()
        self.worker_id = "inprocess"
        self.runs_executions = True
        self.worker: InProcessWorker | None = None
        self.sweeper: LeaseSweeper | None = None

    def open(self, ctx: RunnerContext, tasks: BackgroundTasks) -> ExecutionQueue:
        if not self._settings.start_worker:
            return ParkedQueue()
        self.worker = InProcessWorker(ctx, self._settings.worker_concurrency)
        queue = LocalQueue(self.worker, ctx, tasks)
        # Backstop for a run that stopped without a final status (its lease ran out): run it again.
        self.sweeper = LeaseSweeper(
            self._factory,
            MemoryLedger(),
            queue.send,
            interval_s=self._settings.sweep_interval_s,
            resend_after_s=self._settings.lease_s,
            include_unleased=False,
        )
        return queue

    async def start(self) -> None:
        if self.worker is not None:
            await self.worker.start()
        if self.sweeper is not None:
            self.sweeper.start()

    async def stop(self) -> None:
        if self.sweeper is not None:
            await self.sweeper.stop()
        if self.worker is not None:
            await self.worker.stop()  # running executions keep their status: the next start re-runs them


class ScaleOutBackend:
    """Both roles sweep (so a deployment with no API up still recovers its workers' executions); the API
    role sends new executions and listens to every execution's events; workers consume
    (`app.worker_host`) and publish."""

    def __init__(self, settings: Settings, session_factory: SessionFactory, role: Role) -> None:
        self.bus = RedisEventBus(
            settings.redis_url, prefix=settings.redis_prefix, receive_events=role == "api"
        )
        self.worker_id = process_id(role)
        self.runs_executions = role == "worker"
        self.redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=5)
        self.producer = DramatiqProducer(settings, self.redis)
        self.sweeper = LeaseSweeper(
            session_factory,
            RedisLedger(self.redis, settings.redis_prefix),
            self.producer.send,
            interval_s=settings.sweep_interval_s,
            resend_after_s=settings.requeue_after_s,
            include_unleased=True,
        )

    def open(self, ctx: RunnerContext, tasks: BackgroundTasks) -> ExecutionQueue:
        return DramatiqQueue(self.producer, ctx, tasks)

    async def start(self) -> None:
        self.sweeper.start()

    async def stop(self) -> None:
        await self.sweeper.stop()
        self.producer.close()
        await self.redis.aclose()


def process_id(role: str) -> str:
    """A worker id unique across machines and restarts, readable in the database: `worker@host:pid:xxxx`."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"[:80]


class PipelineLoader:
    """The agent pipeline, built (crewai imported, mem0 started) once, in a thread, on first need."""

    def __init__(self, settings: Settings, market_data: MarketData, pool: SandboxPool, memory: MemoryService):
        self._args = (settings, market_data, pool, memory)
        self._future: asyncio.Future[ExecutionPipeline] | None = None
        self.status = "not started"

    def start(self) -> asyncio.Future[ExecutionPipeline]:
        if self._future is None:
            self.status = "loading"
            self._future = asyncio.ensure_future(asyncio.to_thread(self._build))
            self._future.add_done_callback(self._built)
        return self._future

    def _build(self) -> ExecutionPipeline:
        pipeline = build_pipeline(*self._args)
        timings = pipeline.warm()  # imports crewai, starts mem0 (torch): seconds, so off the event loop
        freeze_startup_heap()
        log.info("agent pipeline ready (%s mode): %s", pipeline.mode, timings)
        return pipeline

    def _built(self, future: asyncio.Future[ExecutionPipeline]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.status = f"failed: {future.exception()!r}"
            log.error("agent pipeline failed to load: %r", future.exception())
        else:
            self.status = "ready"

    async def get(self) -> Pipeline:
        return await asyncio.shield(self.start())

    async def close(self) -> None:
        if self._future is not None and not self._future.done():
            await asyncio.gather(self._future, return_exceptions=True)


class Runtime:
    """The long-lived parts of one process. ``sandbox_pool`` and ``memory``: shared ones to use instead of
    this process's own (tests share one warm pool, and Qdrant locks its folder)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        *,
        role: Role = "api",
        sandbox_pool: SandboxPool | None = None,
        memory: MemoryService | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.backend: Backend = (
            ScaleOutBackend(settings, session_factory, role)
            if settings.queue == "dramatiq"
            else EmbeddedBackend(settings, session_factory)
        )
        self.bus = self.backend.bus
        self.market_data = MarketData.from_settings(settings, session_factory)
        self._owns_pool = sandbox_pool is None
        self.sandbox_pool = sandbox_pool or SandboxPool(
            settings.sandbox, warmup_scripts=warmup_scripts(), packages=sandbox_packages()
        )
        self._owns_memory = memory is None
        self.memory = memory or MemoryService.from_settings(settings)
        self.pipelines = PipelineLoader(settings, self.market_data, self.sandbox_pool, self.memory)
        self.tasks = BackgroundTasks()
        self.ctx = RunnerContext(
            settings,
            session_factory,
            self.bus,
            self.pipelines.get,
            worker_id=self.backend.worker_id,
            lease_s=settings.lease_s,
            tasks=self.tasks,
        )
        self.queue = self.backend.open(self.ctx, self.tasks)

    @property
    def pipeline_status(self) -> str:
        return self.pipelines.status

    async def start(self) -> None:
        await self.bus.start()
        runs = self.backend.runs_executions
        if self._owns_pool and runs:
            await self.sandbox_pool.start()
        if self.settings.warm_agents_on_start and runs:
            self.pipelines.start()
        await self.backend.start()

    async def stop(self) -> None:
        await self.tasks.close(grace_s=SHUTDOWN_GRACE_S)
        await self.backend.stop()
        await self.tasks.close(grace_s=SHUTDOWN_GRACE_S)  # what the runs the backend let finish spawned
        await self.pipelines.close()
        if self._owns_pool:
            await self.sandbox_pool.close()
        if self._owns_memory:
            await self.memory.close()
        await self.bus.close()
