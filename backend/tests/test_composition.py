"""The composition root: one backend chosen per process, each supplying its bus, queue and sweeper; the
runtime's background work tracked and awaited at shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.composition import (
    DramatiqQueue,
    EmbeddedBackend,
    LocalQueue,
    ParkedQueue,
    Runtime,
    ScaleOutBackend,
)
from app.core.config import Settings
from app.core.tasks import BackgroundTasks
from app.services.event_bus import EventBus
from app.services.scaleout.redis_bus import RedisEventBus

FACTORY: Any = async_sessionmaker(create_async_engine("sqlite+aiosqlite://"))


def runtime(tmp_path: Path, role: Any = "api", **values: Any) -> Runtime:
    return Runtime(
        Settings(_env_file=None, environment="test", data_dir=tmp_path, **values), FACTORY, role=role
    )


def test_the_embedded_default_runs_executions_in_process(tmp_path: Path) -> None:
    embedded = runtime(tmp_path)
    assert isinstance(embedded.backend, EmbeddedBackend) and type(embedded.bus) is EventBus
    assert isinstance(embedded.queue, LocalQueue) and embedded.backend.runs_executions
    assert embedded.backend.sweeper is not None and embedded.ctx.worker_id == "inprocess"
    parked = runtime(tmp_path, start_worker=False)
    assert isinstance(parked.queue, ParkedQueue) and parked.backend.sweeper is None


def test_scale_out_sends_jobs_and_only_workers_run_them(tmp_path: Path) -> None:
    api = runtime(tmp_path, redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(api.backend, ScaleOutBackend) and isinstance(api.bus, RedisEventBus)
    assert isinstance(api.queue, DramatiqQueue) and not api.backend.runs_executions
    assert api.ctx.worker_id.startswith("api@")
    worker = runtime(tmp_path, role="worker", redis_url="redis://127.0.0.1:6379/0")
    assert worker.backend.runs_executions and worker.ctx.worker_id.startswith("worker@")


async def test_background_tasks_are_awaited_at_shutdown_and_the_stuck_ones_cancelled() -> None:
    tasks = BackgroundTasks()
    finished: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.05)
        finished.append("quick")

    async def stuck() -> None:
        await asyncio.sleep(60)
        finished.append("stuck")

    quick_task, stuck_task = tasks.spawn(quick()), tasks.spawn(stuck())
    await tasks.close(grace_s=0.5)
    assert finished == ["quick"] and quick_task.done() and stuck_task.cancelled()
    assert len(tasks) == 0
