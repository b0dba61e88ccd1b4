"""The warm zygote: reports ready once warm, then serves runs, each in one single-use child."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import time
from typing import Any

from .cgroup import RunCgroup
from .child import run_child
from .reaper import Janitor, clean_up, kill_all, uid_processes
from .warmup import load_packages, pretouch, warm_scripts, warm_stack
from .wire import MAX_FDS_PER_MESSAGE, send


class _Spare:
    """A child forked from the pristine zygote ahead of its run, waiting for the run's message and fds.

    Forking the ~1 GB warm zygote costs ~15 ms of page-table copying; a spare pays it while the slot is idle
    (right after the previous run), so a run starts at once. It is still one fresh process per run: each
    spare is forked from the zygote, never from an earlier run, and serves exactly one run.
    """

    def __init__(self, config: dict[str, Any], sock: socket.socket) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.cgroup = _run_cgroup(config)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                mine.close()
                if self.cgroup is not None:  # before anything of the run exists, and off its critical path
                    self.cgroup.join()
                pretouch(config)
                raw, fds, _flags, _addr = socket.recv_fds(theirs, 1 << 16, MAX_FDS_PER_MESSAGE)
                theirs.close()
                if raw:  # nothing (EOF): the zygote discarded this spare or is exiting
                    run_child(json.loads(raw), fds, config, sock)
            finally:
                os._exit(70)
        theirs.close()
        self.sock = mine

    def hand_over(self, message_bytes: bytes, fds: list[int]) -> int | None:
        """Give the run to this spare: its pid, or None if the spare is gone (then fork as usual)."""
        try:
            socket.send_fds(self.sock, [message_bytes], fds)
            return self.pid
        except OSError:
            self.discard()
            return None
        finally:
            self.sock.close()

    def discard(self) -> None:
        self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        if self.cgroup is not None:
            self.cgroup.remove()


def _run_cgroup(config: dict[str, Any]) -> RunCgroup | None:
    return RunCgroup(config["cgroup"]) if config.get("cgroup") else None


def _start_run(
    message: dict[str, Any],
    raw: bytes,
    fds: list[int],
    config: dict[str, Any],
    spare: _Spare | None,
    sock: socket.socket,
) -> tuple[int, bool, RunCgroup | None]:
    """The run's process: the spare if there is one, else a fresh fork. Returns (pid, preforked, cgroup)."""
    if spare is not None:
        pid = spare.hand_over(raw, fds)
        if pid is not None:
            return pid, True, spare.cgroup
        if spare.cgroup is not None:
            spare.cgroup.remove()
    cgroup = _run_cgroup(config)
    pid = os.fork()
    if pid == 0:
        try:
            if cgroup is not None:
                cgroup.join()
            run_child(message, fds, config, sock)
        finally:
            os._exit(70)
    return pid, False, cgroup


def _serve(sock: socket.socket, config: dict[str, Any], janitor: Janitor) -> None:
    spare = _Spare(config, sock) if config.get("prefork", True) else None
    while True:
        message_bytes, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, MAX_FDS_PER_MESSAGE)
        message = json.loads(message_bytes) if message_bytes else {"op": "exit"}
        if message["op"] == "exit":
            if spare is not None:
                spare.discard()
            return
        if message["op"] != "run":
            for fd in fds:
                os.close(fd)
            continue
        started = time.monotonic()
        pid, preforked, cgroup = _start_run(message, message_bytes, fds, config, spare, sock)
        spare = None
        for fd in fds:
            os.close(fd)
        killed = _supervise(sock, message["id"], pid)
        if killed:
            kill_all(config, pid, janitor)
        _, status, rusage = os.wait4(pid, 0)
        # Processes that outlived the run are killed before "done" is sent. When there are none (the usual
        # case), "done" goes first and the rest of the clean-up right after; the host gives this slot its
        # next run only once "clean" arrives, so no run ever sees another's state.
        stray = not config.get("drop_uid", True) or bool(uid_processes(int(config["uid"])))
        leftovers = kill_all(config, pid, janitor) if stray else False
        send(
            sock,
            {
                "ev": "done",
                "id": message["id"],
                "status": os.waitstatus_to_exitcode(status),
                "cpu_s": rusage.ru_utime + rusage.ru_stime,
                "maxrss_kb": rusage.ru_maxrss,
                "killed": killed,
                "leftovers": leftovers,
                "oom_kills": cgroup.oom_kills() if cgroup is not None else 0,
                "wall_s": time.monotonic() - started,
                "preforked": preforked,
            },
        )
        cleaning = time.monotonic()
        problems = clean_up(config, pid, cgroup, janitor)
        if problems:  # the host replaces this slot; nothing of this run may reach another
            send(sock, {"ev": "unclean", "id": message["id"], "problems": problems})
            return
        send(sock, {"ev": "clean", "id": message["id"], "clean_s": time.monotonic() - cleaning})
        if config.get("prefork", True):
            spare = _Spare(config, sock)


def _supervise(sock: socket.socket, run_id: str, pid: int) -> bool:
    """Wait for the child to end or for a kill order; True if it was killed on order."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([sock.fileno(), pidfd], [], [])
            if pidfd in ready:
                return False
            raw, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, MAX_FDS_PER_MESSAGE)
            for fd in fds:
                os.close(fd)
            if not raw:
                raise SystemExit(0)
            order = json.loads(raw)
            if order.get("op") == "kill" and order.get("id") == run_id:
                return True
            if order.get("op") == "exit":
                raise SystemExit(0)
    finally:
        os.close(pidfd)


def close_cache(cache_dir: str | None) -> None:
    """Owner-only modes on every file and directory of numba's cache, including those an earlier zygote or
    the host's tests wrote under a wider umask (new files are already 0600 by the umask)."""
    if not cache_dir:
        return
    for root, _dirs, files in os.walk(cache_dir):
        os.chmod(root, 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)


def main(config: dict[str, Any]) -> None:
    sock = socket.socket(fileno=int(config["control_fd"]))
    janitor = Janitor()  # first, while this process is small
    for path in config["site_packages"]:
        sys.path.append(path)
    # The warm-up writes numba's cache (pickles): owner-only, so runs (slot uids) can neither read nor write
    # it (close_cache below narrows what earlier, wider umasks left).
    os.umask(0o077)
    os.makedirs(config["runs_dir"], exist_ok=True)
    # Root's, and closed to others: each run's own directory is made (and given to the slot uid) by the
    # run's process before it drops to that uid, so a run cannot write anything beside its own directory.
    os.chmod(config["runs_dir"], 0o711)
    started = time.monotonic()
    try:
        if config.get("cgroup"):  # fail the warm-up, loudly, if runs could not be capped as configured
            probe = RunCgroup(config["cgroup"])
            if not probe.remove():
                raise OSError("cannot remove a run cgroup")
        versions = warm_stack()
        warm_scripts(list(config.get("warmup_scripts", [])))
        load_packages(dict(config.get("packages") or {}))
        close_cache(os.environ.get("NUMBA_CACHE_DIR"))
    except BaseException as exc:
        send(sock, {"ev": "error", "message": f"warm-up failed: {exc!r}"[:2000]})
        raise
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Move the warm heap out of the collector's sight: otherwise every child's first collections walk (and
    # copy-on-write touch) hundreds of MB of numba/LLVM objects, costing ~0.5 s per run.
    gc.collect()
    gc.freeze()
    send(
        sock, {"ev": "ready", "versions": versions, "warm_s": time.monotonic() - started, "pid": os.getpid()}
    )
    _serve(sock, config, janitor)
