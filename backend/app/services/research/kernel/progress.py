"""Where a sweep reports how far it got when its plan names no reporter: the sandbox's harness installs one
that writes a marked line on the run's stdout (the host turns it into the execution's progress events)."""

from __future__ import annotations

from collections.abc import Callable

Reporter = Callable[[int, int], None]
_reporter: list[Reporter] = []

MARKER = "\x1estratcrew-progress"


def install(reporter: Reporter | None) -> None:
    _reporter.clear()
    if reporter is not None:
        _reporter.append(reporter)


def current() -> Reporter | None:
    return _reporter[0] if _reporter else None


def stdout_reporter(every: float = 0.02) -> Reporter:
    """Prints ``MARKER done total`` at most every 2 % of the way (and at the end)."""
    last = [-1.0]

    def report(done: int, total: int) -> None:
        share = done / total if total else 1.0
        if share - last[0] >= every or done >= total:
            last[0] = share
            print(f"{MARKER} {done} {total}", flush=True)

    return report
