"""Per-run caps on memory and processes across all of a run's processes, with cgroups.

`RLIMIT_AS` bounds one process and `RLIMIT_NPROC` counts per uid, so forks multiply memory (three forks of
1.5 GB took 5.4 GB under a 4 GB per-process limit). A cgroup bounds the sum. Chosen once, at pool start
(`SANDBOX_CGROUP=auto`): cgroup v1 when its `memory` and `pids` controllers are mounted and writable here,
else v2 when the unified hierarchy offers both (and this service may use them), else none: then the start is
logged at error level and runs keep only their rlimits.

Layout (host side, created here): under this process's own cgroup in each hierarchy,
`stratcrew-sandbox-<instance>/slot<i>/` (mode 0700), bound into slot `i`'s sandbox at `/sandbox/cgroup/...`.
`<instance>` is the pool's uid claim (`uids.py`), so no other live pool uses the same directories. Inside,
the zygote makes one fresh `run-<n>` cgroup per run, sets its caps, and the run's process joins it before
any of the run's code exists (the child forked ahead joins while it waits: off the run's critical path);
afterwards it reads the cgroup's OOM-kill count and removes it. See `harness/cgroup.py`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.core.config_sandbox import SandboxSettings

log = logging.getLogger(__name__)

SANDBOX_CGROUP_ROOT = "/sandbox/cgroup"
V1_CONTROLLERS = ("memory", "pids")


@dataclass(frozen=True)
class Mount:
    point: Path
    root: str  # the hierarchy path mounted there
    fstype: str
    options: frozenset[str]


def read_mounts(mountinfo: str) -> list[Mount]:
    """cgroup mounts from /proc/self/mountinfo text.

    >>> line = "35 25 0:30 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory"
    >>> read_mounts(line)[0].options >= {"memory"}
    True
    """
    mounts = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        mounts.append(Mount(Path(fields[4]), fields[3], tail[0], frozenset(tail[2].split(","))))
    return mounts


def read_own_cgroups(proc_cgroup: str) -> dict[str, str]:
    """Controller (or "" for the unified hierarchy) -> this process's cgroup path.

    >>> read_own_cgroups("4:memory:/a/b\\n8:pids:/\\n0::/x")
    {'memory': '/a/b', 'pids': '/', '': '/x'}
    """
    own: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                own[controller] = parts[2]
    return own


def _host_dir(mount: Mount, own_path: str) -> Path:
    relative = own_path[len(mount.root) :] if own_path.startswith(mount.root) else own_path
    return mount.point / relative.lstrip("/")


@dataclass
class RunLimits:
    """How this pool caps a run's memory and processes; `version` None means rlimits only."""

    version: int | None
    reason: str = ""
    # Host directories of this pool: {"memory": ..., "pids": ...} (v1) or {"unified": ...} (v2).
    bases: dict[str, Path] = field(default_factory=dict)

    @property
    def memory_cgroup(self) -> Path | None:
        return self.bases.get("memory") or self.bases.get("unified")

    def describe(self) -> str:
        if self.version is None:
            return f"rlimits only ({self.reason})"
        where = ", ".join(f"{name} {path}" for name, path in self.bases.items())
        return f"cgroup v{self.version} ({where})"

    def slot_dirs(self, index: int) -> dict[str, Path]:
        return {name: base / f"slot{index}" for name, base in self.bases.items()}

    def prepare_slot(self, index: int) -> dict[str, Path]:
        """Create slot `index`'s directories (emptied of a previous zygote's leftovers)."""
        dirs = self.slot_dirs(index)
        for name, path in dirs.items():
            _remove_tree(path)
            path.mkdir(mode=0o700, exist_ok=True)
            if self.version == 2:
                (path / "cgroup.subtree_control").write_text("+memory +pids")
            log.debug("sandbox slot %d %s cgroup: %s", index, name, path)
        return dirs

    def bind_args(self, index: int) -> list[str]:
        args = ["--perms", "0755", "--dir", SANDBOX_CGROUP_ROOT]
        for name, path in self.slot_dirs(index).items():
            args += ["--bind", str(path), f"{SANDBOX_CGROUP_ROOT}/{name}"]
        return args

    def harness_config(self, index: int, settings: SandboxSettings, *, sandboxed: bool) -> dict[str, object]:
        if self.version is None:
            return {}
        dirs = {
            name: f"{SANDBOX_CGROUP_ROOT}/{name}" if sandboxed else str(path)
            for name, path in self.slot_dirs(index).items()
        }
        return {
            "version": self.version,
            "dirs": dirs,
            "memory_bytes": settings.memory_limit_mb * 1024 * 1024,
            "pids": settings.max_processes,
        }

    def remove_slot(self, index: int) -> None:
        for path in self.slot_dirs(index).values():
            _remove_tree(path)

    def close(self) -> None:
        for base in self.bases.values():
            _remove_tree(base)


def _remove_tree(path: Path) -> None:
    """rmdir a cgroup tree bottom-up (cgroup directories hold only kernel files; rmdir is how they go)."""
    if not path.is_dir():
        return
    for child in sorted((p for p in path.iterdir() if p.is_dir()), reverse=True):
        _remove_tree(child)
    try:
        path.rmdir()
    except OSError as exc:
        log.warning("could not remove cgroup %s: %s", path, exc)


def detect(settings: SandboxSettings, instance: int) -> RunLimits:
    """Pick how runs are capped here (see the module docstring); never raises."""
    if settings.cgroup == "off":
        return RunLimits(None, "SANDBOX_CGROUP=off")
    if os.geteuid() != 0:
        return RunLimits(None, "cgroups need the service to run as root")
    try:
        mounts = read_mounts(Path("/proc/self/mountinfo").read_text())
        own = read_own_cgroups(Path("/proc/self/cgroup").read_text())
    except OSError as exc:
        return RunLimits(None, f"cannot read this process's cgroups: {exc}")
    name = f"stratcrew-sandbox-{instance}"
    reasons = []
    if settings.cgroup in ("auto", "v1"):
        limits = _try_v1(mounts, own, name)
        if limits.version is not None or settings.cgroup == "v1":
            return limits
        reasons.append(limits.reason)
    limits = _try_v2(mounts, own, name)
    if limits.version is None and reasons:
        limits.reason = f"{'; '.join(reasons)}; {limits.reason}"
    return limits


def _try_v1(mounts: list[Mount], own: dict[str, str], name: str) -> RunLimits:
    bases: dict[str, Path] = {}
    for controller in V1_CONTROLLERS:
        mount = next((m for m in mounts if m.fstype == "cgroup" and controller in m.options), None)
        if mount is None or controller not in own:
            return RunLimits(None, f"cgroup v1: no {controller} hierarchy mounted")
        if "ro" in mount.options:
            return RunLimits(None, f"cgroup v1: {mount.point} is read-only")
        bases[controller] = _host_dir(mount, own[controller]) / name
    try:
        for base in bases.values():
            _remove_tree(base)  # a previous holder of this instance died; its runs died with it
            base.mkdir(mode=0o700)
    except OSError as exc:
        return RunLimits(None, f"cgroup v1: cannot create {name}: {exc}")
    if not (bases["memory"] / "memory.limit_in_bytes").exists() or not (bases["pids"] / "pids.max").exists():
        return RunLimits(None, "cgroup v1: the memory or pids controller files are missing")
    return RunLimits(1, bases=bases)


def _try_v2(mounts: list[Mount], own: dict[str, str], name: str) -> RunLimits:
    mount = next((m for m in mounts if m.fstype == "cgroup2"), None)
    if mount is None or "" not in own:
        return RunLimits(None, "cgroup v2: no unified hierarchy mounted")
    home = _host_dir(mount, own[""])
    try:
        available = set((home / "cgroup.controllers").read_text().split())
    except OSError as exc:
        return RunLimits(None, f"cgroup v2: cannot read {home}: {exc}")
    if not {"memory", "pids"} <= available:
        return RunLimits(None, f"cgroup v2: memory and pids controllers not available in {home}")
    try:
        _delegate(home)
        base = home / name
        _remove_tree(base)
        base.mkdir(mode=0o700)
        (base / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError as exc:
        return RunLimits(None, f"cgroup v2: cannot use {home} for the sandbox ({exc})")
    return RunLimits(2, bases={"unified": base})


def _delegate(home: Path) -> None:
    """Enable memory and pids for the children of `home`. v2 forbids that while `home` itself holds
    processes (except at the root), so when this process is alone there it moves into a leaf first, as a
    systemd service with `Delegate=yes` would; if other processes share `home`, that raises."""
    control = home / "cgroup.subtree_control"
    if {"memory", "pids"} <= set(control.read_text().split()):
        return
    try:
        control.write_text("+memory +pids")
        return
    except OSError:
        procs = (home / "cgroup.procs").read_text().split()
        if procs != [str(os.getpid())]:
            raise
    leaf = home / "stratcrew-service"
    with contextlib.suppress(FileExistsError):
        leaf.mkdir()
    (leaf / "cgroup.procs").write_text(str(os.getpid()))
    log.warning("cgroup v2: moved this service into %s so that %s can delegate memory and pids", leaf, home)
    control.write_text("+memory +pids")
