"""Zygote warm-up: vectorbt's signal simulator comes from numba's disk cache and places the same orders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt
from vectorbt.portfolio import nb

from app.services.sandbox import SandboxPool
from app.services.sandbox.harness.warmup import cache_signal_simulator
from tests.plugins.sandbox_pool import NUMBA_CACHE, sandbox_test_settings, start_pool_or_skip
from tests.services.sandbox.conftest import sp500_frame
from tests.services.sandbox.test_pool import MA_CODE

# What the process had done before the run's first line: page faults and CPU seconds.
USAGE_PROBE = """
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_minflt, usage.ru_utime + usage.ru_stime)
"""


def _orders(close: pd.DataFrame | pd.Series, **kwargs: object) -> np.ndarray:
    ma = close.rolling(30).mean()
    portfolio = vbt.Portfolio.from_signals(
        close, close > ma, close < ma, init_cash=10_000, fees=0.001, freq="1D", **kwargs
    )
    return np.asarray(portfolio.orders.values)


@pytest.mark.parametrize(
    "case",
    [
        {"sl_stop": 0.04, "tp_stop": 0.09},
        {"sl_stop": 0.05, "sl_trail": True},
        {"two_symbols": True, "cash_sharing": True, "group_by": True, "size": 0.5, "size_type": "percent"},
    ],
    ids=["stops", "trailing", "shared-cash"],
)
def test_cached_simulator_places_the_same_orders(
    case: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = sp500_frame()
    close: pd.Series | pd.DataFrame = frame["close"]
    kwargs = dict(case)
    if kwargs.pop("two_symbols", False):
        close = pd.concat({"a": frame["close"], "b": frame["close"] * 0.5 + 3}, axis=1)
    original = nb.simulate_from_signals_nb
    expected = _orders(close, **kwargs)
    assert len(expected) > 50

    monkeypatch.setattr(nb, "simulate_from_signals_nb", original)  # restored after the test
    cache_signal_simulator()
    cached = nb.simulate_from_signals_nb
    assert cached is not original and cached.py_func is original.py_func
    got = _orders(close, **kwargs)
    assert len(cached.signatures) >= 1  # the swapped-in function is the one that ran
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


async def test_the_warm_pool_keeps_the_simulator_in_numbas_disk_cache(sandbox_pool: SandboxPool) -> None:
    # Without the swap, every zygote compiles it again (~4 s per signature) and nothing is written here.
    indexes = list(NUMBA_CACHE.glob("portfolio_*/nb.simulate_from_signals_nb-*.nbi"))
    assert indexes, f"no cached simulate_from_signals_nb under {NUMBA_CACHE}"
    data_files = list(NUMBA_CACHE.glob("portfolio_*/nb.simulate_from_signals_nb-*.nbc"))
    assert len(data_files) >= 3  # one per argument signature: one symbol, several, with and without OHLC


async def _usage_before_first_line(pool: SandboxPool, runs: int = 3) -> list[tuple[int, float]]:
    slot = (
        await pool._acquire()
    )  # the slot's own run: the AST policy (which refuses `resource`) is the pool's
    try:
        outcomes = [await slot.run(f"usage-{i}", USAGE_PROBE, {}, 10.0, None) for i in range(runs)]
    finally:
        pool._release(slot)
    assert all(o.done and o.done["preforked"] for o in outcomes)
    return [(int(faults), float(cpu)) for faults, cpu in (o.stdout.split() for o in outcomes)]


async def test_the_child_forked_ahead_has_run_a_warm_up_backtest_first(
    sandbox_pool: SandboxPool, market_dir: Path
) -> None:
    assert sandbox_pool.settings.pretouch
    cold_pool = await start_pool_or_skip(sandbox_test_settings(pool_size=1, pretouch=False))
    try:
        warm = await _usage_before_first_line(sandbox_pool)
        cold = await _usage_before_first_line(cold_pool)
        data = {"SPX": market_dir / "sp500.parquet"}
        with_pretouch, without = await sandbox_pool.run(MA_CODE, data), await cold_pool.run(MA_CODE, data)
    finally:
        await cold_pool.close()
    # The pre-touched child has already copied the pages a backtest writes (thousands of faults) and spent
    # the CPU of one; the plain spare has only been forked.
    assert min(faults for faults, _ in warm) > max(faults for faults, _ in cold) + 1000, (warm, cold)
    assert min(cpu for _, cpu in warm) > max(cpu for _, cpu in cold), (warm, cold)
    # ...and the run it serves computes exactly the same backtest.
    assert with_pretouch.equity == without.equity
    assert with_pretouch.trades == without.trades
    assert with_pretouch.signals == without.signals
