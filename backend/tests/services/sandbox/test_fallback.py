"""Where bubblewrap cannot run: the pool refuses to start, unless the weaker fallback is asked for by name,
and then it says so loudly and still applies the per-run limits."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import app
from app.services.sandbox import SandboxLimitExceeded, SandboxPool, SandboxUnavailable
from tests.plugins.sandbox_pool import sandbox_test_settings, start_pool_or_skip
from tests.services.sandbox.test_pool import MA_CODE

MISSING_BWRAP = "/nonexistent/bwrap"
PATH_PROBE = """
import importlib.util
import sys
print(sys.path)
print(importlib.util.find_spec("policy"))
"""


async def test_without_bubblewrap_the_pool_refuses_to_start() -> None:
    pool = SandboxPool(sandbox_test_settings(pool_size=1, bwrap_path=MISSING_BWRAP))
    try:
        with pytest.raises(SandboxUnavailable) as info:
            await pool.start()
    finally:
        await pool.close()
    assert info.value.message == (
        f"Sandbox unavailable: bubblewrap ({MISSING_BWRAP!r}) is not installed; "
        "refusing to run untrusted code without isolation"
    )
    assert pool.slots == []  # no zygote was started


async def test_the_explicit_fallback_is_logged_and_keeps_the_limits(
    market_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = sandbox_test_settings(
        pool_size=1, bwrap_path=MISSING_BWRAP, allow_unsandboxed=True, address_space_limit_mb=2048
    )
    caplog.set_level(logging.ERROR, logger="app.services.sandbox.pool")
    pool = await start_pool_or_skip(settings)
    try:
        assert not pool.sandboxed
        loud = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert any("SANDBOX ISOLATION DISABLED" in r.getMessage() for r in loud), caplog.text
        assert any(MISSING_BWRAP in r.getMessage() for r in loud)

        result = await pool.run(MA_CODE, {"SPX": market_dir / "sp500.parquet"})
        assert len(result.equity) > 5000 and result.trades

        # The harness is loaded by its location: no directory of the app is on the run's import path, so
        # none of app/services/sandbox's modules (`policy`, `settings`...) is importable by its name.
        slot = await pool._acquire()  # the slot's own run: the pool's AST policy refuses `sys`
        try:
            probe = await slot.run("path-probe", PATH_PROBE, {}, 10.0, None)
        finally:
            pool._release(slot)
        app_dir = str(Path(app.__file__).parent)
        assert probe.done and probe.done["status"] == 0, probe
        search_path, policy_spec = probe.stdout.strip().split("\n")
        assert app_dir not in search_path, search_path
        assert policy_spec == "None"

        with pytest.raises(SandboxLimitExceeded) as info:
            await pool.run("blob = bytearray(3 * 1024 ** 3)\n", {})
        assert info.value.fields["limit"] == "memory"
        assert "2048 MB" in info.value.message
    finally:
        await pool.close()
