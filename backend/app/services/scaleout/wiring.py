"""What scale-out mode adds to a process's runtime: a Redis client, the Dramatiq queue and the lease sweeper.

Both roles sweep (so a deployment with no API up still recovers its workers' executions); only the API role
enqueues new executions; only workers consume (`app.worker_main`).
"""

from __future__ import annotations

import os
import socket
import uuid

import redis.asyncio as aioredis

from app.core.config import Settings
from app.core.db import SessionFactory
from app.services.scaleout.dramatiq_queue import DramatiqQueue
from app.services.scaleout.redis_bus import RedisEventBus
from app.services.scaleout.sweeper import LeaseSweeper, RedisLedger


def process_id(role: str) -> str:
    """A worker id unique across machines and restarts, readable in the database: `worker@host:pid:xxxx`."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"[:80]


def build_bus(settings: Settings, role: str) -> RedisEventBus:
    return RedisEventBus(settings.redis_url, prefix=settings.redis_prefix, receive_events=role == "api")


class ScaleOut:
    def __init__(self, settings: Settings, session_factory: SessionFactory) -> None:
        self.redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=5)
        self.queue = DramatiqQueue(settings, self.redis)
        self.sweeper = LeaseSweeper(
            session_factory,
            RedisLedger(self.redis, settings.redis_prefix),
            self.queue.send,
            interval_s=settings.sweep_interval_s,
            resend_after_s=settings.requeue_after_s,
            include_unleased=True,
        )

    def start(self) -> None:
        self.sweeper.start()

    async def stop(self) -> None:
        await self.sweeper.stop()
        self.queue.close()
        await self.redis.aclose()
