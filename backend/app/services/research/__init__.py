"""Research runs: parameter sweeps (the kernel runs inside the sandbox; see docs/research.md)."""

from __future__ import annotations

from pathlib import Path

KERNEL_DIR = Path(__file__).with_name("kernel")


def sandbox_packages() -> dict[str, Path]:
    """What the sandbox preloads for sweeps: the kernel, importable in a run as ``stratcrew_research``."""
    return {"stratcrew_research": KERNEL_DIR}
