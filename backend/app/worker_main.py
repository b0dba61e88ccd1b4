"""`stratcrew-worker` (`make worker`): a worker process of scale-out mode.

It warms its own sandbox pool and agent pipeline first, then takes execution jobs from the Dramatiq queue on
Redis, `WORKER_CONCURRENCY` at a time. Settings come from the environment and `.env`, like the API's; it needs
`REDIS_URL` (or `QUEUE=dramatiq`) and a `DATABASE_URL` shared with the API processes.

SIGTERM (or Ctrl-C) is graceful: it stops taking jobs, gives running executions `WORKER_SHUTDOWN_GRACE_S` to
finish, then releases the leases of those still running, so another worker re-runs them at once rather than
after the lease runs out. SIGKILL is survived too: the lease runs out and a sweeper re-sends the execution.
"""

from __future__ import annotations

import argparse
import logging
import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

import dramatiq

from app.core.config import get_settings
from app.worker_host import WorkerHost, install_host, worker_broker

log = logging.getLogger("stratcrew.worker")
POLL_MS = 200  # longest idle wait of a consumer for a new job
HEARTBEAT_FILE = Path(tempfile.gettempdir()) / "stratcrew-worker.alive"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stratcrew-worker", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="jobs at once (default WORKER_CONCURRENCY)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if settings.queue != "dramatiq" or not settings.redis_url:
        log.error("stratcrew-worker needs REDIS_URL (scale-out mode); the embedded default needs no worker")
        return 2
    threads = max(1, args.threads or settings.worker_concurrency)

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping after running executions (grace %.0f s)", signum, grace_s)
        stop.set()

    grace_s = settings.worker_shutdown_grace_s
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = time.perf_counter()
    host = WorkerHost(settings)
    install_host(host)
    host.start()
    broker = worker_broker(settings)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=POLL_MS)
    worker.queue_prefetch = threads  # no job waits in one worker's cache while another worker is idle
    worker.start()
    log.info(
        "stratcrew-worker ready: %s, %d threads, warm in %.1f s",
        host.runtime.ctx.worker_id,
        threads,
        time.perf_counter() - started,
    )
    while not stop.wait(1.0):
        HEARTBEAT_FILE.touch()  # the container's health check reads its age
    worker.stop(timeout=int(grace_s * 1000))
    host.stop()
    broker.close()
    log.info("stratcrew-worker stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
