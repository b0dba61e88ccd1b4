"""After a run: every process the slot uid still has is killed, its SysV IPC objects and files removed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from typing import Any


def drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def uid_processes(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
                found.append(int(entry))
    return found


def _remove_ipc(uid: int) -> None:
    """Remove SysV IPC objects the slot uid created (they would outlive the run inside this IPC namespace)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, fn in (("shm", libc.shmctl), ("msg", libc.msgctl), ("sem", libc.semctl)):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as fh:
            header = fh.readline().split()
            for line in fh:
                row = dict(zip(header, line.split(), strict=False))
                if int(row.get("uid", -1)) == uid:
                    if kind == "sem":
                        fn(int(row["semid"]), 0, ipc_rmid)
                    else:
                        fn(int(row["shmid" if kind == "shm" else "msqid"]), ipc_rmid, None)


def reap(config: dict[str, Any], child: int) -> bool:
    """Kill every process the run left and remove its files; True if any process outlived the child.

    With per-slot uids the reaper switches to the slot uid and calls kill(-1): that reaches every process of
    the uid in this PID namespace, including `setsid()` double-forks. Without a uid drop (the unsandboxed
    fallback) only the run's process group can be killed.
    """
    uid = int(config["uid"])
    by_uid = bool(config.get("drop_uid", True))
    had = bool(uid_processes(uid)) if by_uid else False
    for _ in range(20):
        reaper = os.fork()
        if reaper == 0:
            try:
                if by_uid:
                    drop_to(uid)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(-1, signal.SIGKILL)
                    _remove_ipc(uid)
                else:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(child, signal.SIGKILL)
                for entry in os.listdir(config["runs_dir"]):
                    shutil.rmtree(os.path.join(config["runs_dir"], entry), ignore_errors=True)
            finally:
                os._exit(0)
        os.waitpid(reaper, 0)
        if not by_uid or not uid_processes(uid):
            break
        time.sleep(0.01)
    return had
