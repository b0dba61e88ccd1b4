"""The Dramatiq queue of scale-out mode: one job per execution, on Redis, run by `stratcrew-worker` processes.

API processes only send: `DramatiqQueue.enqueue(execution_id)` after the execution row is committed. A worker
runs the job `run_execution_job(execution_id)`, which is `run_execution` on the worker's own runtime (warm
sandbox pool, agent pipeline). Safety comes from the database, not from the broker:

- a job can arrive twice (the sweeper re-sends, Redis re-delivers a silent worker's jobs), but
  `run_execution` claims the execution atomically first, so it runs to completion once;
- only errors that left the execution untouched are retried (the database went away: `run_execution`
  released its lease and wrote no final status); any other error already ended the execution `failed`;
- a job that runs out of retries is dead-lettered, and `DeadLetters` ends its execution `failed` with the
  reason (when nobody else holds it).

>>> retry_when(0, ExecutionInterrupted("database went away")), retry_when(0, ValueError("bug"))
(True, False)
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq
import redis.asyncio as aioredis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, Retries
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.db import is_connection_error
from app.services.execution_runner import ExecutionInterrupted
from app.services.scaleout.sweeper import RedisLedger, job_key

log = logging.getLogger(__name__)
ACTOR_NAME = "run_execution_job"
QUEUE_NAME = "executions"
MAX_RETRIES = 8
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 30_000
MAINTENANCE_CHANCE = 50_000  # per million broker commands: re-delivery of dead workers' jobs is prompt


def retry_when(retries: int, exc: BaseException) -> bool:
    """Retry only what is safe to run again: the execution was left untouched (no final status written)."""
    transient = isinstance(exc, ExecutionInterrupted) or is_connection_error(exc)
    return retries < MAX_RETRIES and transient


def redis_url_with_timeouts(url: str) -> str:
    # A broker call must not hang forever when Redis is unreachable; the URL carries the socket timeouts.
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}socket_timeout=5&socket_connect_timeout=3&health_check_interval=10"


def build_broker(settings: Settings, dead_letters: Middleware | None = None) -> RedisBroker:
    middleware: list[Middleware] = [
        Retries(max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS)
    ]
    if dead_letters is not None:
        middleware.append(dead_letters)
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=redis_url_with_timeouts(settings.redis_url),
        namespace=f"{settings.redis_prefix}:dramatiq",
        middleware=middleware,
        heartbeat_timeout=int(settings.worker_heartbeat_timeout_s * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    declare_actor(broker)
    return broker


def run_execution_job(execution_id: str) -> None:
    """The job body, in a Dramatiq worker thread: runs the execution on this worker process's runtime."""
    from app.services.scaleout.worker_host import current_host

    current_host().run(execution_id)


def declare_actor(broker: RedisBroker) -> dramatiq.Actor[[str], None]:
    return dramatiq.Actor(
        run_execution_job,
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE_NAME,
        priority=0,
        options={"max_retries": MAX_RETRIES, "retry_when": retry_when},
    )


class DeadLetters(Middleware):
    """Ends the execution of a dead-lettered job `failed`, with the reason, unless someone else holds it."""

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if message.actor_name != ACTOR_NAME or not message.args:
            return
        execution_id = str(message.args[0])
        retries = message.options.get("retries", 0)
        traceback = str(message.options.get("traceback") or "").strip().splitlines()
        reason = traceback[-1] if traceback else "unknown error"
        from app.services.scaleout.worker_host import current_host

        try:
            current_host().fail_dead_lettered(execution_id, f"gave up after {retries} retries: {reason}")
        except Exception:
            log.exception("could not fail dead-lettered execution %s", execution_id)


class DramatiqQueue:
    """The `ExecutionQueue` of an API process in scale-out mode."""

    def __init__(self, settings: Settings, redis: aioredis.Redis) -> None:
        self.broker = build_broker(settings)
        self.actor = self.broker.get_actor(ACTOR_NAME)
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

    async def send(self, execution_id: str) -> bool:
        try:
            await asyncio.to_thread(self.actor.send, execution_id)
        except (dramatiq.errors.BrokerError, RedisError, OSError) as exc:
            log.warning("could not send %s to the queue: %s", execution_id, exc)
            return False
        return True

    def close(self) -> None:
        self.broker.close()
