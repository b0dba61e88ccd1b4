"""After a run: every process the slot uid still has is killed, then everything the run could leave behind
is removed and checked to be gone: its files, SysV IPC objects of any owner, and its cgroup. A check that
fails is reported (`clean_up` returns what is left) and the host then replaces the whole slot, so a later
run can never find an earlier run's state.

What a run can leave: files only in its own run directory (the runs directory is root's, mode 0711: a run
cannot write beside its own); SysV IPC objects only if the syscall filter is off (it denies them), and then
it may hand them to another owner with IPC_SET, so objects are removed whatever their owner (the slot's IPC
namespace holds nothing else); keyrings and POSIX message queues are denied by the filter and by
RLIMIT_MSGQUEUE=0.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import time
from typing import Any

IPC_KINDS = {"shm": "shmid", "msg": "msqid", "sem": "semid"}


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


def ipc_objects() -> list[tuple[str, int, int, int]]:
    """Every SysV IPC object in this IPC namespace: (kind, id, owner uid, creator uid)."""
    found = []
    for kind, id_column in IPC_KINDS.items():
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as fh:
            header = fh.readline().split()
            for line in fh:
                row = dict(zip(header, line.split(), strict=False))
                found.append((kind, int(row[id_column]), int(row["uid"]), int(row["cuid"])))
    return found


def _remove_ipc(uid: int) -> None:
    """IPC_RMID every object this process may remove: owner or creator is the caller's uid. The reaper runs
    this as the slot uid (the creator of anything a run made) and the zygote as uid 0 (an owner a run may
    have given its object to). Under the syscall filter the calls fail and there is nothing to remove."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, ident, owner, creator in ipc_objects():
        if uid not in (owner, creator):
            continue
        if kind == "shm":
            libc.shmctl(ident, ipc_rmid, None)
        elif kind == "msg":
            libc.msgctl(ident, ipc_rmid, None)
        else:
            libc.semctl(ident, 0, ipc_rmid)


def _empty_tree(path: str) -> None:
    """Remove everything under `path` that the caller owns, whatever modes the run left (a directory it
    made unreadable is opened up first). Errors are not hidden: what is left is found by the check."""
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IRWXU)
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                _empty_tree(entry.path)
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)


def _reap_once(config: dict[str, Any], child: int, run_dirs: list[str]) -> None:
    """One pass, in a process of its own (it switches uid): kill the uid's processes, remove what it made
    (`run_dirs`: listed by the caller, as root; the runs directory is not readable by the slot uid)."""
    uid = int(config["uid"])
    if config.get("drop_uid", True):
        drop_to(uid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        if config.get("sandboxed", True):
            _remove_ipc(uid)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child, signal.SIGKILL)
    for path in run_dirs:
        _empty_tree(path)


def _fork_and_reap(config: dict[str, Any], child: int) -> None:
    run_dirs = [os.path.join(config["runs_dir"], entry) for entry in os.listdir(config["runs_dir"])]
    reaper = os.fork()
    if reaper == 0:
        try:
            _reap_once(config, child, run_dirs)
        finally:
            os._exit(0)
    os.waitpid(reaper, 0)


class Janitor:
    """A small process forked from the zygote before the warm-up (~10 MB instead of ~1 GB), which forks
    the per-run reaper: a fork of the warm zygote copies its page tables, ~15 ms and more on a busy host,
    after every run. It runs nothing but `_reap_once`, as root; runs cannot signal it (another uid). If it
    is gone, the zygote forks the reaper itself."""

    def __init__(self) -> None:
        import ctypes  # noqa: F401  (loaded once here, not in every reaper)

        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                mine.close()
                while request := theirs.recv(1 << 16):
                    order = json.loads(request)
                    _fork_and_reap(order["config"], order["child"])
                    theirs.send(b"ok")
            finally:
                os._exit(0)
        theirs.close()
        self.sock: socket.socket | None = mine

    def reap(self, config: dict[str, Any], child: int) -> None:
        if self.sock is not None:
            try:
                self.sock.send(json.dumps({"config": _reaper_config(config), "child": child}).encode())
                if self.sock.recv(16) == b"ok":
                    return
            except OSError:
                pass
            self.sock.close()
            self.sock = None
        _fork_and_reap(config, child)


def _reaper_config(config: dict[str, Any]) -> dict[str, Any]:
    return {key: config[key] for key in ("uid", "drop_uid", "sandboxed", "runs_dir") if key in config}


def kill_all(config: dict[str, Any], child: int, janitor: Janitor | None = None) -> bool:
    """Kill every process the run left and empty its directories; True if any process outlived the child.

    With per-slot uids the reaper switches to the slot uid and calls kill(-1): that reaches every process of
    the uid in this PID namespace, including `setsid()` double-forks. Without a uid drop (the unsandboxed
    fallback) only the run's process group can be killed.
    """
    uid = int(config["uid"])
    by_uid = bool(config.get("drop_uid", True))
    had = bool(uid_processes(uid)) if by_uid else False
    for _ in range(20):
        if janitor is not None:
            janitor.reap(config, child)
        else:
            _fork_and_reap(config, child)
        if not by_uid or not uid_processes(uid):
            break
        time.sleep(0.01)
    return had


def clean_up(
    config: dict[str, Any], child: int, cgroup: Any = None, janitor: Janitor | None = None
) -> list[str]:
    """Kill what is left of the run, remove its state, and return what could not be removed (empty: clean)."""
    kill_all(config, child, janitor)
    runs_dir = config["runs_dir"]
    for entry in os.listdir(runs_dir):  # the run directories, emptied by the reaper; ours to remove
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(runs_dir, entry))
    # Only inside the slot's own IPC namespace is every object the run's: the unsandboxed fallback shares
    # the host's, where the zygote's uid may own objects of other programs.
    own_ipc_namespace = bool(config.get("sandboxed", True))
    if own_ipc_namespace:
        _remove_ipc(os.getuid())
    problems = []
    if config.get("drop_uid", True) and uid_processes(int(config["uid"])):
        problems.append(f"processes of uid {config['uid']} survived")
    left = os.listdir(runs_dir)
    if left:
        problems.append(f"files left in {runs_dir}: {sorted(left)[:5]}")
    objects = ipc_objects() if own_ipc_namespace else []
    if objects:
        problems.append(f"SysV IPC objects left: {objects[:5]}")
    if cgroup is not None and not cgroup.remove():
        problems.append(f"run cgroup not empty: {cgroup.paths}")
    return problems
