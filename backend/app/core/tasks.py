"""Background tasks a process starts and must not lose: each is tracked until it ends, and shutdown waits for
them (then cancels what is left), so no coroutine is abandoned mid-write when the event loop closes.

>>> import asyncio
>>> async def demo() -> int:
...     tasks = BackgroundTasks()
...     tasks.spawn(asyncio.sleep(0.01))
...     await tasks.close(grace_s=1.0)
...     return len(tasks)
>>> asyncio.run(demo())
0
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[object, object, None], name: str | None = None) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Returns once no task is running (tasks spawned meanwhile included): what a test awaits to see
        the writes made after a run's final status, e.g. its memory."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    async def close(self, grace_s: float) -> None:
        """Waits up to `grace_s` for the tasks still running, then cancels the rest and waits for them."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
