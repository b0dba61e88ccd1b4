"""One fresh cgroup per run (memory and pids caps across all of the run's processes), made by the zygote.

The host binds the slot's cgroup directories at `config["cgroup"]["dirs"]` (v1: one per controller, v2: one
unified) and owns them as root; the zygote, uid 0 here, creates `run-<n>` in each, writes the caps, and the
run's process writes itself into `cgroup.procs` before dropping to the slot uid. After the run the zygote
reads how many processes the kernel's OOM killer took in it, and removes it once it is empty.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from typing import Any

_numbers = itertools.count(1)


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class RunCgroup:
    def __init__(self, config: dict[str, Any]) -> None:
        self.version = int(config["version"])
        name = f"run-{os.getpid()}-{next(_numbers)}"
        self.paths = {kind: os.path.join(base, name) for kind, base in config["dirs"].items()}
        for path in self.paths.values():
            os.mkdir(path, 0o700)
        memory, pids = str(config["memory_bytes"]), str(config["pids"])
        if self.version == 1:
            _write(os.path.join(self.paths["memory"], "memory.limit_in_bytes"), memory)
            with contextlib.suppress(OSError):  # without swap accounting there is no memsw file
                _write(os.path.join(self.paths["memory"], "memory.memsw.limit_in_bytes"), memory)
            _write(os.path.join(self.paths["pids"], "pids.max"), pids)
        else:
            unified = self.paths["unified"]
            _write(os.path.join(unified, "memory.max"), memory)
            with contextlib.suppress(OSError):
                _write(os.path.join(unified, "memory.swap.max"), "0")
            _write(os.path.join(unified, "memory.oom.group"), "1")  # an OOM kills the whole run
            _write(os.path.join(unified, "pids.max"), pids)

    def join(self) -> None:
        """Move the calling process (all its threads) into this run's cgroups."""
        for path in self.paths.values():
            _write(os.path.join(path, "cgroup.procs"), "0")

    def oom_kills(self) -> int:
        """Processes of this run the OOM killer took (its memory cap was reached)."""
        keys: tuple[str, ...]
        if self.version == 1:
            path, keys = os.path.join(self.paths["memory"], "memory.oom_control"), ("oom_kill",)
        else:
            path, keys = os.path.join(self.paths["unified"], "memory.events"), ("oom_kill", "oom_group_kill")
        try:
            with open(path) as fh:
                counts = dict(line.split() for line in fh if line.strip())
        except OSError:
            return 0
        return sum(int(counts.get(key, 0)) for key in keys)

    def remove(self, wait_s: float = 2.0) -> bool:
        """rmdir the run's cgroups; True once gone. A cgroup with a task left cannot be removed: the run's
        last processes may still be exiting (the namespace's init reaps orphans), so wait a little."""
        deadline = time.monotonic() + wait_s
        pending = list(self.paths.values())
        while pending:
            for path in list(pending):
                try:
                    os.rmdir(path)
                    pending.remove(path)
                except FileNotFoundError:
                    pending.remove(path)
                except OSError:
                    pass
            if pending and time.monotonic() > deadline:
                return False
            if pending:
                time.sleep(0.005)
        return True
