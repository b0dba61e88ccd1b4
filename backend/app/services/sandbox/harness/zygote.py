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

from .child import run_child
from .reaper import reap, uid_processes
from .warmup import pretouch, warm_scripts, warm_stack
from .wire import MAX_FDS_PER_MESSAGE, send


class _Spare:
    """A child forked from the pristine zygote ahead of its run, waiting for the run's message and fds.

    Forking the ~1 GB warm zygote costs ~15 ms of page-table copying; a spare pays it while the slot is idle
    (right after the previous run), so a run starts at once. It is still one fresh process per run: each
    spare is forked from the zygote, never from an earlier run, and serves exactly one run.
    """

    def __init__(self, config: dict[str, Any], sock: socket.socket) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                mine.close()
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


def _start_run(
    message: dict[str, Any],
    raw: bytes,
    fds: list[int],
    config: dict[str, Any],
    spare: _Spare | None,
    sock: socket.socket,
) -> tuple[int, bool]:
    """The run's process: the spare if there is one, else a fresh fork. Returns (pid, preforked)."""
    if spare is not None:
        pid = spare.hand_over(raw, fds)
        if pid is not None:
            return pid, True
    pid = os.fork()
    if pid == 0:
        try:
            run_child(message, fds, config, sock)
        finally:
            os._exit(70)
    return pid, False


def _serve(sock: socket.socket, config: dict[str, Any]) -> None:
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
        pid, preforked = _start_run(message, message_bytes, fds, config, spare, sock)
        spare = None
        for fd in fds:
            os.close(fd)
        killed = _supervise(sock, message["id"], pid)
        if killed:
            reap(config, pid)
        _, status, rusage = os.wait4(pid, 0)
        # Processes that outlived the run are killed before "done" is sent. When there are none (the usual
        # case), "done" goes first and the run's files are removed right after: this loop reads the next
        # run only once that removal is finished, so no run ever sees another's files.
        stray = not config.get("drop_uid", True) or bool(uid_processes(int(config["uid"])))
        leftovers = reap(config, pid) if stray else False
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
                "wall_s": time.monotonic() - started,
                "preforked": preforked,
            },
        )
        if not stray:
            reap(config, pid)
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


def main(config: dict[str, Any]) -> None:
    sock = socket.socket(fileno=int(config["control_fd"]))
    for path in config["site_packages"]:
        sys.path.append(path)
    os.umask(0o022)
    os.makedirs(config["runs_dir"], exist_ok=True)
    os.chmod(config["runs_dir"], 0o1777)
    started = time.monotonic()
    try:
        versions = warm_stack()
        warm_scripts(list(config.get("warmup_scripts", [])))
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
    _serve(sock, config)
