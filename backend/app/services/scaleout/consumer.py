"""The worker side of the Dramatiq queue: the actor that runs an execution, and what happens to a job that
ran out of retries. `app.worker_host` supplies both bodies (they need the worker process's runtime)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from app.core.config import Settings
from app.services.scaleout.broker import ACTOR_NAME, MAX_RETRIES, QUEUE_NAME, build_broker, retry_when

log = logging.getLogger(__name__)


class DeadLetters(Middleware):
    """Hands a dead-lettered job's execution and reason to `on_dead` (which ends it `failed`)."""

    def __init__(self, on_dead: Callable[[str, str], None]) -> None:
        self._on_dead = on_dead

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if message.actor_name != ACTOR_NAME or not message.args:
            return
        execution_id = str(message.args[0])
        retries = message.options.get("retries", 0)
        traceback = str(message.options.get("traceback") or "").strip().splitlines()
        reason = traceback[-1] if traceback else "unknown error"
        try:
            self._on_dead(execution_id, f"gave up after {retries} retries: {reason}")
        except Exception:
            log.exception("could not fail dead-lettered execution %s", execution_id)


def consumer_broker(
    settings: Settings, job: Callable[[str], None], on_dead: Callable[[str, str], None]
) -> RedisBroker:
    """The broker a worker consumes from, with `job(execution_id)` declared as the actor."""
    broker = build_broker(settings, [DeadLetters(on_dead)])
    dramatiq.Actor(
        job,
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE_NAME,
        priority=0,
        options={"max_retries": MAX_RETRIES, "retry_when": retry_when},
    )
    return broker
