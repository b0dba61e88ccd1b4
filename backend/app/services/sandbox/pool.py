"""SandboxPool: the service's async face of the sandbox (policy check, slot queue, recycling).

>>> async def example(pool: SandboxPool, spy: Path) -> None:  # doctest: +SKIP
...     await pool.start()                       # returns at once; slots warm up in the background
...     await pool.wait_ready(240)               # optional
...     result = await pool.run(code, {"SPY": spy}, timeout_s=30)
...     await pool.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import platform
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox import bwrap, cgroups, seccomp
from app.services.sandbox.bars import BarsCache
from app.services.sandbox.cgroups import RunLimits
from app.services.sandbox.errors import (
    CodePolicyViolation,
    InvalidSandboxResult,
    SandboxBusy,
    SandboxUnavailable,
)
from app.services.sandbox.outcome import interpret
from app.services.sandbox.policy import validate_code
from app.services.sandbox.result import SandboxResult
from app.services.sandbox.slot import Slot
from app.services.sandbox.uids import UidClaim, claim_uids

log = logging.getLogger(__name__)
MAX_WARMUP_FAILURES = 3


class SandboxPool:
    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        warmup_scripts: Sequence[str] = (),
        packages: Mapping[str, Path] | None = None,
    ) -> None:
        """`warmup_scripts`: scripts shaped like the ones runs will bring (the compiler's output). Each zygote
        runs them once on synthetic data, so numba compiles those exact kernel signatures before any run:
        a run's child cannot write the compile cache, and would otherwise compile them on every run.
        `packages`: trusted packages (name -> directory) bound read-only into each sandbox, imported by the
        zygote under that name (their `warm()` run) so runs can import them: the sweep kernel."""
        self.settings = settings or SandboxSettings()
        self.warmup_scripts = list(warmup_scripts)
        self.packages = dict(packages or {})
        self.sandboxed = True
        self._slots: list[Slot] = []
        self._idle: asyncio.Queue[Slot] = asyncio.Queue()
        self._waiting = 0
        self._failures = 0
        self._broken: str | None = None
        self._broken_event = asyncio.Event()
        self._warm_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._closed = False
        self._numba_cache = self.settings.numba_cache_dir.resolve()
        self._bars = BarsCache(self.settings.data_cache_mb * 1024 * 1024)
        self._uids: UidClaim | None = None
        self._seccomp: bytes | None = None
        self.run_limits = RunLimits(None, "the pool was not started")

    @property
    def slot_uids(self) -> list[int]:
        """The uids this pool's slots run as (claimed host-wide at start; see `sandbox/uids.py`)."""
        return list(self._uids.uids) if self._uids is not None else []

    @property
    def slots(self) -> list[Slot]:
        return list(self._slots)

    async def start(self) -> None:
        """Probe the isolation and start warming the zygotes; does not wait for them."""
        self._numba_cache.mkdir(parents=True, exist_ok=True, mode=0o755)
        if os.geteuid() == 0:  # slots switch to their own uids only when started as root
            self._uids = claim_uids(self.settings)
            log.info("sandbox slots run as uids %s (instance %d)", self._uids.uids, self._uids.instance)
        uid = self._uids.uids[0] if self._uids is not None else os.geteuid()
        self._seccomp = self._syscall_filter()
        problem = await asyncio.to_thread(bwrap.probe, self.settings, self._numba_cache, uid, self._seccomp)
        if problem is not None:
            if not self.settings.allow_unsandboxed:
                self._release_uids()
                raise SandboxUnavailable(f"{problem}; refusing to run untrusted code without isolation")
            log.error(
                "SANDBOX ISOLATION DISABLED (%s): allow_unsandboxed=True runs strategy code as a plain "
                "process with rlimits only. Never use this with code you do not trust.",
                problem,
            )
            self.sandboxed = False
        self.run_limits = await asyncio.to_thread(self._choose_run_limits)
        self._warm_task = asyncio.create_task(self._warm_all())

    def _syscall_filter(self) -> bytes | None:
        if not self.settings.seccomp:
            log.error(
                "SANDBOX SYSCALL FILTER DISABLED (SANDBOX_SECCOMP=false): runs may use keyrings, SysV "
                "IPC, namespaces, ptrace, bpf... Never use this with code you do not trust."
            )
            return None
        arch = platform.machine()
        try:
            return seccomp.build_filter(arch)
        except ValueError as exc:
            self._release_uids()
            raise SandboxUnavailable(
                f"no syscall filter for this machine ({exc}); SANDBOX_SECCOMP=false runs without one"
            ) from None

    def _choose_run_limits(self) -> RunLimits:
        limits = cgroups.detect(self.settings, self._uids.instance if self._uids is not None else 0)
        s = self.settings
        if limits.version is not None:
            log.warning(
                "sandbox runs capped by %s: %d MB of memory and %d processes per run, all its processes "
                "together",
                limits.describe(),
                s.memory_limit_mb,
                s.max_processes,
            )
        else:
            log.error(
                "NO PER-RUN MEMORY CAP: %s. Each run process keeps RLIMIT_AS %d MB and the slot uid "
                "RLIMIT_NPROC %d, but a run's forks together may use more memory than %d MB.",
                limits.reason,
                s.address_space_limit_mb,
                s.max_processes,
                s.memory_limit_mb,
            )
        return limits

    async def _warm_all(self) -> None:
        # Slot 0 first: with an empty numba cache it pays the compile once, the others then load the cache.
        first = await self._spawn(0)
        if first is None:
            return
        await asyncio.gather(*(self._spawn(i) for i in range(1, self.settings.pool_size)))

    async def _spawn(self, index: int) -> Slot | None:
        while not self._closed:
            slot = Slot(
                index,
                self.settings,
                uid=self._uids.uids[index] if self._uids is not None else os.geteuid(),
                sandboxed=self.sandboxed,
                numba_cache=self._numba_cache,
                warmup_scripts=self.warmup_scripts,
                packages=self.packages,
                seccomp_program=self._seccomp,
                run_limits=self.run_limits,
            )
            self._slots.append(slot)
            try:
                await slot.start()
                await slot.wait_ready(self.settings.warmup_timeout_s)
            except (SandboxUnavailable, OSError) as exc:
                self._slots.remove(slot)
                await slot.close()
                self._failures += 1
                log.error("sandbox slot %d failed to start: %s", index, exc)
                if self._failures >= MAX_WARMUP_FAILURES:
                    self._broken = str(exc)
                    self._broken_event.set()
                    return None
                await asyncio.sleep(1)
                continue
            self._idle.put_nowait(slot)
            return slot
        return None

    async def wait_ready(self, timeout_s: float) -> None:
        """Wait until every slot has warmed up (imported vectorbt and compiled its kernels)."""
        if self._warm_task is None:
            raise SandboxUnavailable("the pool was not started")
        try:
            await asyncio.wait_for(asyncio.shield(self._warm_task), timeout_s)
        except TimeoutError:
            raise SandboxUnavailable(f"the sandbox pool did not warm up within {timeout_s:g} s") from None
        if self._broken is not None:
            raise SandboxUnavailable(self._broken)

    async def _acquire(self) -> Slot:
        if self._closed:
            raise SandboxUnavailable("the pool is closed")
        if self._broken is not None:
            raise SandboxUnavailable(self._broken)
        if self._idle.empty() and self._waiting >= self.settings.max_queue:
            raise SandboxBusy(
                f"{self._waiting} backtests are already waiting for a sandbox slot; try again later"
            )
        self._waiting += 1
        try:
            get = asyncio.create_task(self._idle.get())
            broken = asyncio.create_task(self._broken_event.wait())
            try:
                await asyncio.wait({get, broken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                broken.cancel()
                if not get.done():
                    get.cancel()
            if get.done() and not get.cancelled():
                slot = get.result()
                if slot.dead.is_set():  # its sandbox died while idle: replace it, take the next one
                    self._release(slot)
                    return await self._acquire()
                return slot
            raise SandboxUnavailable(self._broken or "the pool is broken")
        finally:
            self._waiting -= 1

    def _release(self, slot: Slot) -> None:
        if self._closed:
            return
        if slot.dead.is_set() or slot.runs >= self.settings.max_runs_per_zygote:
            task = asyncio.create_task(self._recycle(slot))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:
            self._idle.put_nowait(slot)

    async def wait_settled(self) -> None:
        """Until every finished run's clean-up is confirmed (its reaper, running as the slot uid, is gone)."""
        while pending := [task for task in self._background if task.get_name().startswith("settle")]:
            await asyncio.wait(pending)

    def _release_when_clean(self, slot: Slot) -> None:
        """The caller has its result now; the slot takes its next run once the zygote has confirmed that
        nothing of this one is left (or, if it cannot, once it has been killed and is replaced)."""

        async def settle_then_release() -> None:
            try:
                await slot.settle()
            finally:
                self._release(slot)

        task = asyncio.create_task(settle_then_release(), name=f"settle-slot{slot.index}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _recycle(self, slot: Slot) -> None:
        with contextlib.suppress(ValueError):
            self._slots.remove(slot)
        await slot.close()
        await self._spawn(slot.index)

    async def run(
        self,
        code: str,
        data_files: dict[str, Path],
        *,
        timeout_s: float | None = None,
        cancel: asyncio.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        bias_cuts: Sequence[float] = (),
        result_limit: int | None = None,
    ) -> SandboxResult:
        """Run `code` in a fresh single-use process of a warm slot; see the module docstring. `progress`
        receives (done, total) from the run's progress lines (a sweep's), which stay out of its stdout.
        `bias_cuts`: shares of the bars where the run's signals are recomputed on cut data afterwards (the
        look-ahead check, `harness/lookahead.py`); none: no check. `result_limit`: bytes the run may hand
        back (default `result_limit_bytes`; a sweep's table needs more)."""
        if self.settings.enforce_policy:
            violations = validate_code(code, max_bytes=self.settings.max_code_bytes)
            if violations:
                raise CodePolicyViolation([v.model_dump() for v in violations])
        elif len(code.encode("utf-8", "surrogatepass")) > self.settings.max_code_bytes:
            raise InvalidSandboxResult(f"code is larger than {self.settings.max_code_bytes} bytes")
        data = {symbol: await self._bars.encoded(symbol, Path(path)) for symbol, path in data_files.items()}
        timeout = timeout_s if timeout_s is not None else self.settings.wall_timeout_s
        slot = await self._acquire()
        run_id = f"r{next(self._ids)}-{secrets.token_hex(4)}"
        stop = asyncio.Event()  # set by the caller's `cancel`, or by cancelling this coroutine
        forward = asyncio.create_task(_forward(cancel, stop)) if cancel is not None else None
        task = asyncio.create_task(
            slot.run(run_id, code, data, timeout, stop, progress, bias_cuts, result_limit)
        )
        try:
            # Shielded: a caller's task being cancelled must not cut the slot's protocol half-way (the
            # zygote would be left with an unconfirmed kill); it stops the run the orderly way instead.
            outcome = await asyncio.shield(task)
        except asyncio.CancelledError:
            stop.set()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, self.settings.kill_grace_s + 10)
            raise
        except OSError as exc:  # the slot's sandbox died under us (its control socket is gone)
            slot.kill()
            raise SandboxUnavailable(f"sandbox slot {slot.index} died before the run started: {exc}") from exc
        finally:
            if forward is not None:
                forward.cancel()
            self._release_when_clean(slot)
        log.debug(
            "sandbox run %s on slot %d: %s in %.3f s", run_id, slot.index, outcome.reason, outcome.duration_s
        )
        # Reading a result of up to `result_limit` bytes takes a few hundred ms: off the event loop.
        return await asyncio.to_thread(
            interpret, outcome, self.settings, timeout_s=timeout, versions=slot.versions
        )

    async def close(self) -> None:
        self._closed = True
        self._broken_event.set()
        if self._warm_task is not None:
            self._warm_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._warm_task
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*(slot.close() for slot in self._slots), return_exceptions=True)
        self._slots.clear()
        await asyncio.to_thread(self.run_limits.close)
        self._release_uids()

    def _release_uids(self) -> None:
        if self._uids is not None:
            self._uids.release()
            self._uids = None

    @property
    def status(self) -> str:
        """For /health: `warming`, `ready (k/n slots warm)`, `broken: ...` or `closed`."""
        if self._closed:
            return "closed"
        if self._broken is not None:
            return f"broken: {self._broken}"
        warm = sum(1 for slot in self._slots if slot.ready.is_set() and not slot.dead.is_set())
        return f"ready ({warm}/{self.settings.pool_size} slots warm)" if warm else "warming"

    def memory_kb(self) -> dict[str, int]:
        """RSS and PSS summed over every process of the pool's sandboxes (bwrap, zygotes, running children).

        RSS counts pages shared copy-on-write between a zygote and its children once per process, so it
        overstates; PSS splits shared pages between their users and sums to the real footprint.
        """
        roots = [slot.pid for slot in self._slots if slot.pid is not None]
        pids = _descendants(roots)
        return {
            "rss": sum(_status_kb(pid, "VmRSS:") for pid in pids),
            "pss": sum(_pss_kb(pid) for pid in pids),
        }


async def _forward(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def _descendants(roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    found, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0
