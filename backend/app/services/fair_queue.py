"""`FairQueue`: executions waiting for the embedded worker, served round-robin between users, at most
`per_user` of one user's running at once.

Four endless runs of one user must not hold another user's short backtest: that user's extra runs wait
here while the other's run takes the next free worker. Users take turns: after one of a user's executions
is handed out, that user goes to the back of the line.

>>> async def demo() -> list[str]:
...     queue = FairQueue(per_user=2)
...     for item in ("a1", "a2", "a3", "a4"):
...         queue.put("alice", item)
...     queue.put("bob", "b1")
...     order = [(await queue.get())[1] for _ in range(3)]  # alice has 2 running: bob's turn comes
...     queue.done("alice")
...     return order + [(await queue.get())[1]]
>>> asyncio.run(demo())
['a1', 'b1', 'a2', 'a3']
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque


class FairQueue:
    def __init__(self, per_user: int) -> None:
        self.per_user = max(1, per_user)
        self._waiting: dict[str, deque[str]] = {}  # in turn order: the first user eligible is served
        self._running: Counter[str] = Counter()
        self._changed = asyncio.Event()
        self._unfinished = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, user_id: str, execution_id: str) -> None:
        self._waiting.setdefault(user_id, deque()).append(execution_id)
        self._unfinished += 1
        self._idle.clear()
        self._changed.set()

    def _take(self) -> tuple[str, str] | None:
        for user_id, items in self._waiting.items():
            if self._running[user_id] < self.per_user:
                execution_id = items.popleft()
                del self._waiting[user_id]
                if items:  # the user's next one waits at the back of the line
                    self._waiting[user_id] = items
                self._running[user_id] += 1
                return user_id, execution_id
        return None

    async def get(self) -> tuple[str, str]:
        """The next (user id, execution id) whose user is under the limit; call `done(user)` after it."""
        while (taken := self._take()) is None:
            self._changed.clear()
            await self._changed.wait()
        return taken

    def done(self, user_id: str) -> None:
        self._running[user_id] -= 1
        if self._running[user_id] <= 0:
            del self._running[user_id]
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()
        self._changed.set()

    def waiting(self) -> int:
        return sum(len(items) for items in self._waiting.values())

    async def join(self) -> None:
        await self._idle.wait()
