"""Session-scoped warm sandbox pool (`sandbox_pool`): one set of zygotes for the whole test session.

Registered from the root conftest with `pytest_plugins`. Where bubblewrap cannot run, tests that use the pool
are skipped with the reason, except under CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.services.language import warmup_scripts
from app.services.research import sandbox_packages
from app.services.sandbox import SandboxPool, SandboxSettings, SandboxUnavailable

REPO = Path(__file__).resolve().parents[3]
NUMBA_CACHE = REPO / ".cache" / "numba"


def sandbox_test_settings(**overrides: object) -> SandboxSettings:
    values: dict[str, object] = {
        "pool_size": 2,
        "numba_cache_dir": NUMBA_CACHE,
        "wall_timeout_s": 20.0,
        "cpu_limit_s": 15,
        "max_queue": 64,
    }
    values.update(overrides)
    return SandboxSettings(**values)  # type: ignore[arg-type]


async def start_pool_or_skip(settings: SandboxSettings) -> SandboxPool:
    pool = SandboxPool(settings, warmup_scripts=warmup_scripts(), packages=sandbox_packages())
    try:
        await pool.start()
        await pool.wait_ready(settings.warmup_timeout_s)
    except SandboxUnavailable as exc:
        await pool.close()
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"sandbox unavailable under CI: {exc.message}")
        pytest.skip(f"sandbox unavailable here (bubblewrap missing or not root?): {exc.message}")
    return pool


@pytest.fixture(scope="session")
async def sandbox_pool() -> AsyncIterator[SandboxPool]:
    pool = await start_pool_or_skip(sandbox_test_settings())
    yield pool
    await pool.close()
