"""Sign-in and registration limits: sliding windows of attempts per username and per client address.

Failed sign-ins count per username (a password guessed for one account) and per client address (one
client trying many accounts); a success clears the username's count only, so signing in to one's own
account does not reset what an address spent on others. Registrations count per address, each attempt.

The counts live in this process's memory: a restart forgets them, and behind a balancer with N API
processes a client can spend N times a limit (docs/security.md says so). The address is the one the ASGI
server reports: behind a proxy, run uvicorn with `--proxy-headers` so it is the client's, not the proxy's.

>>> window = SlidingWindow(limit=2, window_s=60, clock=lambda: 0.0)
>>> window.hit("a"); window.hit("a"); window.retry_after("a")
60.0
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from app.core.config import Settings
from app.core.errors import TooManyRequests

MAX_KEYS = 100_000  # a flood of distinct usernames forgets the oldest keys instead of growing without bound


class SlidingWindow:
    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        horizon = self._clock() - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None if it may now."""
        hits = self._recent(key)
        if len(hits) < self.limit:
            return None
        return hits[len(hits) - self.limit] + self.window_s - self._clock()

    def hit(self, key: str) -> None:
        hits = self._hits.pop(key, None) or deque()
        hits.append(self._clock())
        while len(hits) > self.limit:  # older hits than the last `limit` never decide anything
            hits.popleft()
        self._hits[key] = hits  # re-inserted: the dict's order is least recently hit first
        if len(self._hits) > MAX_KEYS:
            del self._hits[next(iter(self._hits))]

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class AuthLimits:
    """The three windows of one API process (`app.state.auth_limits`)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        login_window = settings.login_window_s
        self.login_user = SlidingWindow(settings.login_attempts_per_username, login_window, clock=clock)
        self.login_address = SlidingWindow(settings.login_attempts_per_address, login_window, clock=clock)
        self.register_address = SlidingWindow(
            settings.registrations_per_address, settings.registration_window_s, clock=clock
        )

    def check_login(self, username: str, address: str) -> None:
        _refuse_while_waiting(
            self.login_user, username.strip().lower(), f"failed sign-ins for user {username!r}"
        )
        _refuse_while_waiting(self.login_address, address, f"failed sign-ins from address {address}")

    def failed_login(self, username: str, address: str) -> None:
        self.login_user.hit(username.strip().lower())
        self.login_address.hit(address)

    def signed_in(self, username: str) -> None:
        self.login_user.reset(username.strip().lower())

    def check_registration(self, address: str) -> None:
        _refuse_while_waiting(self.register_address, address, f"registrations from address {address}")
        self.register_address.hit(address)


def _refuse_while_waiting(window: SlidingWindow, key: str, what: str) -> None:
    """429 (`TooManyRequests`, with the wait as Retry-After) while `key` has spent `window`'s limit."""
    wait = window.retry_after(key)
    if wait is not None:
        raise TooManyRequests(
            f"Too many {what}: {window.limit} in {window.window_s:g} s; try again in {max(1, round(wait))} s",
            wait,
            limit=window.limit,
            window_s=window.window_s,
        )
