"""Every sandbox limit is a setting: `Settings.sandbox`, read from `SANDBOX_<FIELD>` (e.g.
`SANDBOX_WALL_TIMEOUT_S=60`) in the environment or `.env`, like every other setting (`app.core.config`)."""

from __future__ import annotations

import site
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field


def _default_site_packages() -> list[Path]:
    return [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]


class SandboxSettings(BaseModel):
    # Pool shape. One zygote sandbox per slot; each slot runs one backtest at a time.
    pool_size: int = Field(2, ge=1, le=64)
    max_runs_per_zygote: int = Field(500, ge=1)
    max_queue: int = Field(32, ge=0, description="callers allowed to wait for a slot; more raise SandboxBusy")
    warmup_timeout_s: float = Field(240.0, gt=0)
    data_cache_mb: int = Field(256, ge=1, description="market data kept encoded for runs (LRU)")
    prefork: bool = Field(True, description="keep one child forked ahead per slot (saves the fork per run)")
    pretouch: bool = Field(
        True, description="the child forked ahead runs a warm-up backtest first (its page copies off the run)"
    )

    # Per-run limits.
    wall_timeout_s: float = Field(30.0, gt=0)
    cpu_limit_s: int = Field(30, ge=1)
    memory_limit_mb: int = Field(
        2048, ge=256, description="memory of a run, all its processes together (a memory cgroup per run)"
    )
    address_space_limit_mb: int = Field(
        4096, ge=256, description="RLIMIT_AS of each process of a run; the warm zygote alone maps ~2 GB"
    )
    max_processes: int = Field(
        64, ge=4, description="processes and threads of a run (a pids cgroup per run, and RLIMIT_NPROC)"
    )
    max_file_size_mb: int = Field(16, ge=1)
    max_open_files: int = Field(256, ge=32)
    tmpfs_size_mb: int = Field(64, ge=4)
    output_limit_bytes: int = Field(1_000_000, ge=1024, description="stdout + stderr of one run")
    output_tail_chars: int = Field(2000, ge=100)
    result_limit_bytes: int = Field(
        4_000_000,
        ge=1024,
        description="largest result a backtest run may hand back; larger ones fail naming both sizes",
    )
    sweep_result_limit_bytes: int = Field(
        64_000_000, ge=1024, description="a sweep's (its whole table, as compressed strings: cheap to read)"
    )
    max_result_points: int = Field(
        20_000, ge=100, description="equity points a run hands back; a longer curve is reduced in the sandbox"
    )
    max_result_trades: int = Field(
        5_000, ge=10, description="trades a run hands back (the first); the count of the rest is reported"
    )
    max_code_bytes: int = Field(200_000, ge=1024)
    kill_grace_s: float = Field(1.0, gt=0, description="after this, a stuck slot's whole sandbox is killed")

    # Isolation.
    uid_base: int = Field(61000, ge=1000, description="first uid of this host's sandbox uid range")
    instance: Annotated[int, Field(ge=0, lt=1024)] | Literal["auto"] = Field(
        "auto",
        description="slot i runs as uid uid_base + 64 * instance + i; 'auto': the first block no other "
        "pool on this host holds (uids are claimed host-wide, see sandbox/uids.py)",
    )
    uid_lock_dir: Path = Field(
        Path("/run/stratcrew-sandbox"), description="where slot uids are claimed; one per host (or kernel)"
    )
    bwrap_path: str = "bwrap"
    python_prefix: Path = Field(default_factory=lambda: Path(sys.base_prefix))
    site_packages: list[Path] = Field(default_factory=_default_site_packages)
    numba_cache_dir: Path = Path(".cache/numba")
    seccomp: bool = Field(True, description="the syscall filter (sandbox/seccomp.py); off only to debug")
    cgroup: Literal["auto", "v1", "v2", "off"] = Field(
        "auto", description="per-run memory and pids caps: the cgroup version to use; auto picks at start"
    )
    allow_unsandboxed: bool = False
    enforce_policy: bool = True
