"""The API side of the Dramatiq queue: sends one job per execution, after the execution row is committed.

The job's body is not imported here: a message names the actor (`broker.ACTOR_NAME`), and only
`stratcrew-worker` processes declare it. Every process that sweeps leases sends through this too.
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.core.config import Settings
from app.services.scaleout.broker import ACTOR_NAME, QUEUE_NAME, build_broker
from app.services.scaleout.sweeper import RedisLedger, job_key

log = logging.getLogger(__name__)


class DramatiqProducer:
    def __init__(self, settings: Settings, redis: aioredis.Redis) -> None:
        self.broker = build_broker(settings)
        self.ledger = RedisLedger(redis, settings.redis_prefix)
        self._resend_after_s = settings.requeue_after_s

    async def enqueue(self, execution_id: str) -> None:
        """Sends the job once. Never fails the request: when Redis is away, the sweeper sends it later."""
        key = job_key(execution_id, 0)
        try:
            if await self.ledger.first(key, self._resend_after_s) and not await self.send(execution_id):
                await self.ledger.forget(key)
        except (RedisError, OSError) as exc:
            log.warning("enqueue of %s deferred to the sweeper: Redis unavailable (%s)", execution_id, exc)

    async def send(self, execution_id: str, *, delay_s: float | None = None) -> bool:
        """One job; with `delay_s` it reaches the queue (at its back) after that many seconds."""
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(execution_id,), kwargs={}, options={}
        )
        delay_ms = int(delay_s * 1000) if delay_s else None
        try:
            await asyncio.to_thread(self.broker.enqueue, message, delay=delay_ms)
        except (dramatiq.errors.BrokerError, RedisError, OSError) as exc:
            log.warning("could not send %s to the queue: %s", execution_id, exc)
            return False
        return True

    def close(self) -> None:
        self.broker.close()
