"""The run's own process: reads its code and bars, closes every inherited fd, sets its rlimits, drops to
the slot uid and only then compiles the script; the report goes to fd 3, the result pipe."""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
from typing import Any

from .reaper import drop_to
from .script import run_script
from .warmup import prepare_packages
from .wire import read_frames


def run_child(message: dict[str, Any], fds: list[int], config: dict[str, Any], sock: socket.socket) -> None:
    code_fd, out_fd, err_fd, result_fd, *data_fds = fds
    os.setsid()
    sock.detach()
    with os.fdopen(code_fd, "rb") as fh:
        source = fh.read().decode("utf-8")
    frames = read_frames(message["symbols"], data_fds)
    # Order matters: a received fd may itself be 3, so copy stdout/stderr before fd 3 is overwritten.
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.dup2(result_fd, 3)
    os.closerange(4, 1 << 16)
    # Line-buffered so the last lines before a kill reach the parent (they explain timeouts).
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    result_out = os.fdopen(3, "wb")
    _limit(config)
    uid = int(config["uid"])
    run_dir = os.path.join(config["runs_dir"], message["id"])
    os.mkdir(run_dir, 0o700)  # fresh; the runs directory itself is not writable by the run
    if config.get("drop_uid", True):
        os.chown(run_dir, uid, uid)
        drop_to(uid)
    os.chdir(run_dir)
    os.environ.update(HOME=run_dir, TMPDIR=run_dir)
    _disable_numba_cache_io()
    prepare_packages(dict(config.get("packages") or {}))
    cuts = [c for c in message.get("bias_cuts") or [] if isinstance(c, int | float) and 0 < c < 1][:8]
    bounds: dict[str, int] = {k: int(config[k]) for k in ("max_points", "max_trades") if k in config}
    report = run_script(source, frames, message["symbols"], bias_cuts=cuts, bounds=bounds)
    sys.stdout.flush()
    sys.stderr.flush()
    result_out.write(json.dumps(report, allow_nan=True).encode())
    result_out.close()
    os._exit(0)


def _limit(config: dict[str, Any]) -> None:
    limits = {
        resource.RLIMIT_CPU: (config["cpu_s"], config["cpu_s"] + 1),
        resource.RLIMIT_AS: (config["as_bytes"],) * 2,
        resource.RLIMIT_NPROC: (config["nproc"],) * 2,
        resource.RLIMIT_FSIZE: (config["fsize_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (config["nofile"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
    }
    for kind, (soft, hard) in limits.items():
        resource.setrlimit(kind, (soft, hard))


def _disable_numba_cache_io() -> None:
    """Runs never read or write the shared numba cache (it is not writable by the slot uid anyway)."""
    from numba.core import caching

    caching.Cache.save_overload = lambda self, sig, data: None  # type: ignore[method-assign]
    caching.Cache.load_overload = lambda self, sig, target_context: None  # type: ignore[method-assign]
