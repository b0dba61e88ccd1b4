"""The Dramatiq broker of scale-out mode, as both sides configure it: one job per execution on Redis.

The API side only sends (`producer.DramatiqProducer`); `stratcrew-worker` processes consume
(`consumer.consumer_broker`, with the job body in `app.worker_host`). Safety comes from the database, not
from the broker:

- a job can arrive twice (the sweeper re-sends, Redis re-delivers a silent worker's jobs), but
  `run_execution` claims the execution atomically first, so it runs to completion once;
- only errors that left the execution untouched are retried (the database went away: `run_execution`
  released its lease and wrote no final status); any other error already ended the execution `failed`;
- a job that runs out of retries is dead-lettered, and the worker ends its execution `failed` with the
  reason (when nobody else holds it).

>>> retry_when(0, ExecutionInterrupted("database went away")), retry_when(0, ValueError("bug"))
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, Retries

from app.core.config import Settings
from app.core.db import is_connection_error
from app.services.execution_runner import ExecutionInterrupted

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


def build_broker(settings: Settings, middleware: Sequence[Middleware] = ()) -> RedisBroker:
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=redis_url_with_timeouts(settings.redis_url),
        namespace=f"{settings.redis_prefix}:dramatiq",
        middleware=[
            Retries(max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS),
            *middleware,
        ],
        heartbeat_timeout=int(settings.worker_heartbeat_timeout_s * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    broker.declare_queue(QUEUE_NAME)
    return broker
