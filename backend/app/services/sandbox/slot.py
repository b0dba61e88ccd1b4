"""One pool slot: a zygote process inside its own bubblewrap sandbox, driven over a control socket.

A slot runs one backtest at a time. Its sandbox has its own PID, network, IPC and mount namespaces, and its
runs use the slot's own uid, so concurrent runs in different slots cannot see or signal each other, and
RLIMIT_NPROC counts per slot. Killing the bwrap process kills the sandbox's PID-namespace init, which takes
every process inside with it: that is the last resort when the zygote does not answer a kill order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox import bwrap
from app.services.sandbox.bars import sealed_memfd
from app.services.sandbox.cgroups import RunLimits
from app.services.sandbox.errors import SandboxUnavailable
from app.services.sandbox.pipes import PipeReader

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What happened to one run, before interpretation (see `outcome.interpret`)."""

    reason: str  # "done", "timeout", "cancel", "output", "result_size", "crash"
    done: dict[str, Any] | None
    result: bytes
    stdout: str
    stderr: str
    duration_s: float
    result_bytes: int = 0  # bytes the run wrote on its result channel (past the limit: where it was stopped)
    result_limit: int = 0


class Slot:
    def __init__(
        self,
        index: int,
        settings: SandboxSettings,
        *,
        uid: int,
        sandboxed: bool,
        numba_cache: Path,
        warmup_scripts: Sequence[str] = (),
        packages: Mapping[str, Path] | None = None,
        seccomp_program: bytes | None = None,
        run_limits: RunLimits | None = None,
    ) -> None:
        self.index = index
        self.seccomp_program = seccomp_program
        self.run_limits = run_limits or RunLimits(None, "not configured")
        self.warmup_scripts = list(warmup_scripts)
        self.packages = dict(packages or {})
        self.settings = settings
        self.sandboxed = sandboxed
        self.numba_cache = numba_cache
        self.uid = uid
        self.runs = 0
        self.versions: dict[str, str] = {}
        self.ready = asyncio.Event()
        self.dead = asyncio.Event()
        self.failure: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._done: asyncio.Future[dict[str, Any]] | None = None
        self._clean: asyncio.Future[bool] | None = None
        self._log_tail: deque[str] = deque(maxlen=40)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    # ------------------------------------------------------------------------------------------ life cycle

    def _config(self, control_fd: int) -> dict[str, Any]:
        s = self.settings
        return {
            "control_fd": control_fd,
            "site_packages": [str(p.resolve()) for p in s.site_packages],
            "uid": self.uid,
            "drop_uid": os.geteuid() == 0,
            "sandboxed": self.sandboxed,
            "runs_dir": "/tmp/runs"
            if self.sandboxed
            else f"/tmp/stratcrew-sandbox-{os.getpid()}-{self.index}",
            "cpu_s": s.cpu_limit_s,
            "as_bytes": s.address_space_limit_mb * 1024 * 1024,
            "nproc": s.max_processes,
            "fsize_bytes": s.max_file_size_mb * 1024 * 1024,
            "nofile": s.max_open_files,
            "max_points": s.max_result_points,
            "max_trades": s.max_result_trades,
            "warmup_scripts": self.warmup_scripts,
            "packages": {
                name: bwrap.package_dir(name) if self.sandboxed else str(path.resolve())
                for name, path in self.packages.items()
            },
            "prefork": s.prefork,
            "pretouch": s.pretouch,
            "cgroup": self.run_limits.harness_config(self.index, s, sandboxed=self.sandboxed),
        }

    async def start(self) -> None:
        """Spawn the zygote; `ready` is set once it has warmed up (or `dead` with `failure`)."""
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        parent.setblocking(False)
        passed = [child.fileno()]
        if self.run_limits.version is not None:
            await asyncio.to_thread(self.run_limits.prepare_slot, self.index)
        config = json.dumps(self._config(child.fileno()))
        if self.sandboxed:
            tool = bwrap.resolve_bwrap(self.settings) or self.settings.bwrap_path
            filter_fd = None
            if self.seccomp_program is not None:
                filter_fd = bwrap.program_fd(self.seccomp_program)
                passed.append(filter_fd)
            argv = bwrap.build_command(
                self.settings,
                tool,
                [*bwrap.zygote_args(), config],
                numba_cache=self.numba_cache,
                packages=self.packages,
                seccomp_fd=filter_fd,
                cgroup_binds=self.run_limits.bind_args(self.index) if self.run_limits.version else (),
                unshare_cgroup=self.run_limits.version != 2,
            )
            env: dict[str, str] | None = None
        else:
            argv = [
                bwrap.python_executable(self.settings),
                "-I",
                "-S",
                *bwrap.zygote_args(str(bwrap.HARNESS_PATH)),
                config,
            ]
            env = {**bwrap.SANDBOX_ENV, "NUMBA_CACHE_DIR": str(self.numba_cache), "HOME": "/tmp"}
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                pass_fds=passed,
                env=env,
                start_new_session=True,
            )
        finally:
            for fd in passed[1:]:
                os.close(fd)
            child.close()
        self._sock = parent
        self._tasks = [asyncio.create_task(self._read_events()), asyncio.create_task(self._read_log())]

    async def _read_log(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            text = line.decode("utf-8", "replace").rstrip()[:500]
            self._log_tail.append(text)
            log.debug("sandbox slot %d: %s", self.index, text)

    async def _read_events(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        try:
            while raw := await loop.sock_recv(self._sock, 1 << 16):
                event = json.loads(raw)
                if event["ev"] == "ready":
                    self.versions = {k: str(v) for k, v in event["versions"].items()}
                    log.info("sandbox slot %d warm in %.1f s", self.index, event["warm_s"])
                    self.ready.set()
                elif event["ev"] == "done" and self._done is not None and not self._done.done():
                    self._done.set_result(event)
                elif event["ev"] in ("clean", "unclean") and self._clean is not None:
                    if event["ev"] == "unclean":
                        log.error(
                            "sandbox slot %d could not remove all state of run %s (%s); replacing the slot",
                            self.index,
                            event.get("id"),
                            "; ".join(map(str, event.get("problems", []))),
                        )
                    if not self._clean.done():
                        self._clean.set_result(event["ev"] == "clean")
                elif event["ev"] == "error":
                    self.failure = str(event["message"])
        except (OSError, ValueError) as exc:
            log.warning("sandbox slot %d control channel failed: %s", self.index, exc)
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                await self._proc.wait()
        await asyncio.sleep(0.05)  # let the log reader catch the last lines
        if self.failure is None:
            tail = " | ".join(list(self._log_tail)[-5:])
            code = self._proc.returncode if self._proc else None
            self.failure = f"zygote exited (code {code}): {tail}"
        self.dead.set()
        if self._done is not None and not self._done.done():
            self._done.set_exception(SandboxUnavailable(self.failure))
        if self._clean is not None and not self._clean.done():
            self._clean.set_result(False)

    async def wait_ready(self, timeout_s: float) -> None:
        ready = asyncio.create_task(self.ready.wait())
        dead = asyncio.create_task(self.dead.wait())
        _, pending = await asyncio.wait({ready, dead}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if not self.ready.is_set():
            reason = self.failure or f"warm-up took longer than {timeout_s:g} s"
            raise SandboxUnavailable(f"slot {self.index}: {reason}")

    def kill(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, 9)

    async def close(self) -> None:
        if self._sock is not None and not self.dead.is_set():
            with contextlib.suppress(OSError):
                self._sock.send(b'{"op": "exit"}')
        if self._proc is not None:
            try:
                await asyncio.wait_for(self._proc.wait(), 2)
            except TimeoutError:
                self.kill()
                await self._proc.wait()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 1)
        if self._sock is not None:
            self._sock.close()
        if self.run_limits.version is not None:
            await asyncio.to_thread(self.run_limits.remove_slot, self.index)

    async def settle(self, timeout_s: float = 10.0) -> None:
        """Wait until the zygote confirms that nothing of the last run is left; if it cannot (or does not
        answer), kill the slot's sandbox so the pool replaces it."""
        if self._clean is None:
            return
        try:
            clean = await asyncio.wait_for(asyncio.shield(self._clean), timeout_s)
        except TimeoutError:
            log.error("sandbox slot %d did not confirm its clean-up; replacing the slot", self.index)
            clean = False
        if not clean:
            self.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dead.wait(), 5)

    # ------------------------------------------------------------------------------------------------ runs

    async def run(
        self,
        run_id: str,
        code: str,
        data: dict[str, bytes],
        timeout_s: float,
        cancel: asyncio.Event | None,
        progress: Callable[[int, int], None] | None = None,
        bias_cuts: Sequence[float] = (),
        result_limit: int | None = None,
    ) -> RunOutcome:
        loop = asyncio.get_running_loop()
        s = self.settings
        result_cap = result_limit or s.result_limit_bytes
        assert self._sock is not None
        self.runs += 1
        self._done = loop.create_future()
        self._clean = loop.create_future()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        code_fd = os.memfd_create("strategy", os.MFD_CLOEXEC)
        os.write(code_fd, code.encode("utf-8"))
        os.lseek(code_fd, 0, os.SEEK_SET)
        sent: list[int] = [code_fd, out_w, err_w, res_w]
        try:
            sent += [sealed_memfd(f"bars-{symbol}", bars) for symbol, bars in data.items()]
            message = json.dumps(
                {"op": "run", "id": run_id, "symbols": list(data), "bias_cuts": list(bias_cuts)}
            ).encode()
            socket.send_fds(self._sock, [message], sent)
        finally:
            for fd in sent:
                os.close(fd)
        tail = s.output_tail_chars * 4
        readers = [
            PipeReader(out_r, cap=s.output_limit_bytes, keep="tail", tail_bytes=tail, progress=progress),
            PipeReader(err_r, cap=s.output_limit_bytes, keep="tail", tail_bytes=tail),
            PipeReader(res_r, cap=result_cap, keep="all"),
        ]
        started = loop.time()
        reason = await self._watch(readers, timeout_s, cancel)
        if reason != "done":
            await self._stop_run(run_id)
        for reader in readers:  # every writer is dead now (or the sandbox was killed): EOF is near
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.eof.wait(), 2)
            reader.close()
        done = self._done.result() if self._done.done() and not self._done.exception() else None
        if done is None and reason == "done":
            reason = "crash"
        return RunOutcome(
            reason=reason,
            done=done,
            result=bytes(readers[2].data),
            stdout=readers[0].text(s.output_tail_chars),
            stderr=readers[1].text(s.output_tail_chars),
            duration_s=loop.time() - started,
            result_bytes=readers[2].total,
            result_limit=result_cap,
        )

    async def _watch(self, readers: list[PipeReader], timeout_s: float, cancel: asyncio.Event | None) -> str:
        assert self._done is not None
        done_fut = self._done

        async def finished() -> None:
            with contextlib.suppress(SandboxUnavailable):
                await asyncio.shield(done_fut)  # cancelling this watcher must not cancel the future
            for reader in readers:
                await reader.eof.wait()

        watchers: dict[asyncio.Task[Any], str] = {
            asyncio.create_task(finished()): "done",
            asyncio.create_task(readers[0].overflow.wait()): "output",
            asyncio.create_task(readers[1].overflow.wait()): "output",
            asyncio.create_task(readers[2].overflow.wait()): "result_size",
        }
        if cancel is not None:
            watchers[asyncio.create_task(cancel.wait())] = "cancel"
        try:
            first, _ = await asyncio.wait(watchers, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in watchers:
                task.cancel()
        if not first:
            return "timeout"
        reasons = {watchers[task] for task in first}
        return "done" if reasons == {"done"} else sorted(reasons - {"done"})[0]

    async def _stop_run(self, run_id: str) -> None:
        """Ask the zygote to kill the run; if it does not confirm in time, kill the whole sandbox."""
        assert self._sock is not None and self._done is not None
        with contextlib.suppress(OSError):
            self._sock.send(json.dumps({"op": "kill", "id": run_id}).encode())
        try:
            await asyncio.wait_for(asyncio.shield(self._done), self.settings.kill_grace_s)
        except (TimeoutError, SandboxUnavailable):
            log.warning(
                "sandbox slot %d did not confirm the kill of %s; killing its sandbox", self.index, run_id
            )
            self.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dead.wait(), 5)
