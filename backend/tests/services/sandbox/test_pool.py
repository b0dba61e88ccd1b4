"""Normal runs through the warm pool, checked against in-process vectorbt and plain pandas."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.sandbox import (
    CodePolicyViolation,
    CodeRaised,
    SandboxCancelled,
    SandboxLimitExceeded,
    SandboxPool,
)
from tests.services.sandbox.conftest import sp500_frame

MA_CODE = """
import numpy as np
import pandas as pd
import vectorbt as vbt


def load_data(symbol: str) -> pd.DataFrame:
    raise RuntimeError("the stub must be replaced by the sandbox")


data = load_data("SPX")
close = data["Close"]
fast = vbt.MA.run(close, 20)
slow = vbt.MA.run(close, 50)
entries = fast.ma_crossed_above(slow)
exits = fast.ma_crossed_below(slow)
print("bars", len(close))
portfolio = vbt.Portfolio.from_signals(
    close, entries, exits, init_cash=10_000, fees=0.001, sl_stop=0.08, freq="1D"
)
"""

TWO_SYMBOLS = """
import pandas as pd
import vectorbt as vbt

close = pd.concat({s: load_data(s)["Close"] for s in ["SPX", "HALF"]}, axis=1)
ma = close.rolling(30).mean()
entries = close > ma
exits = close < ma
portfolio = vbt.Portfolio.from_signals(
    close, entries, exits, init_cash=10_000, cash_sharing=True, group_by=True,
    size=0.5, size_type="percent", freq="1D",
)
"""


def _in_process(code: str, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    import ast

    from app.services.sandbox.harness.script import strip_stub

    def load_data(symbol: str) -> pd.DataFrame:
        return frames[symbol].rename(columns=str.capitalize).copy()

    namespace: dict[str, Any] = {"load_data": load_data}
    exec(compile(strip_stub(ast.parse(code)), "<test>", "exec"), namespace)
    return namespace


async def test_ma_strategy_matches_in_process_run_and_pandas(
    sandbox_pool: SandboxPool, market_dir: Path
) -> None:
    result = await sandbox_pool.run(MA_CODE, {"SPX": market_dir / "sp500.parquet"})

    frame = sp500_frame()
    close = frame["close"]
    # Independent: crossovers of two rolling means, computed with pandas only.
    fast, slow = close.rolling(20).mean(), close.rolling(50).mean()
    crosses_up = (fast > slow) & (fast.shift(1) < slow.shift(1))
    assert len(result.equity) == len(frame)
    assert result.equity[0][0] == frame.index[0].isoformat()
    assert result.equity[0][1] == pytest.approx(10_000, rel=1e-9)
    assert result.signals.entries == int(crosses_up.sum())
    assert result.stdout_tail.strip() == f"bars {len(frame)}"
    assert set(result.library_versions) == {"vectorbt", "pandas", "numpy", "numba"}

    # The same script run in this process by vectorbt directly.
    namespace = _in_process(MA_CODE, {"SPX": frame})
    expected_value = namespace["portfolio"].value()
    assert np.allclose([v for _, v in result.equity], expected_value.to_numpy(), rtol=1e-9)
    readable = namespace["portfolio"].trades.records_readable
    assert len(result.trades) == len(readable)
    first = result.trades[0]
    assert first.symbol == "SPX"
    assert first.entry_price == pytest.approx(readable["Avg Entry Price"].iloc[0])
    assert first.return_pct == pytest.approx(readable["Return"].iloc[0] * 100)
    assert first.fees == pytest.approx(readable["Entry Fees"].iloc[0] + readable["Exit Fees"].iloc[0])
    # Every entry happens on a bar where pandas saw a crossover or where a stop re-entry is impossible.
    entry_days = {pd.Timestamp(t.entry_time) for t in result.trades}
    assert entry_days <= set(close.index[crosses_up])
    closed = [t for t in result.trades if t.status == "closed"]
    for trade in closed:
        assert trade.pnl == pytest.approx(
            (trade.exit_price - trade.entry_price) * trade.size - trade.fees,
            rel=1e-6,
            abs=1e-6,  # type: ignore[operator]
        )


async def test_two_symbols_with_shared_cash_sum_to_one_equity_curve(
    sandbox_pool: SandboxPool, market_dir: Path
) -> None:
    files = {"SPX": market_dir / "sp500.parquet", "HALF": market_dir / "half.parquet"}
    result = await sandbox_pool.run(TWO_SYMBOLS, files)
    frame = sp500_frame()
    namespace = _in_process(TWO_SYMBOLS, {"SPX": frame, "HALF": frame * 0.5})
    expected = namespace["portfolio"].value()
    assert np.allclose([v for _, v in result.equity], np.asarray(expected), rtol=1e-9)
    assert {t.symbol for t in result.trades} == {"SPX", "HALF"}


async def test_exception_reports_the_script_line(sandbox_pool: SandboxPool) -> None:
    code = "import numpy as np\nx = np.arange(3)\ny = x[10]\n"
    with pytest.raises(CodeRaised) as info:
        await sandbox_pool.run(code, {})
    assert info.value.fields["line"] == 3
    assert "IndexError" in info.value.message
    assert "line 3" in info.value.message


async def test_missing_portfolio_is_explained(sandbox_pool: SandboxPool) -> None:
    with pytest.raises(CodeRaised, match="module-level `portfolio`"):
        await sandbox_pool.run("x = 1\n", {})


async def test_unknown_symbol_lists_the_available_ones(sandbox_pool: SandboxPool, market_dir: Path) -> None:
    with pytest.raises(CodeRaised, match="available: \\['SPX'\\]"):
        await sandbox_pool.run("d = load_data('AAPL')\n", {"SPX": market_dir / "sp500.parquet"})


async def test_policy_violation_lists_every_finding(sandbox_pool: SandboxPool) -> None:
    with pytest.raises(CodePolicyViolation) as info:
        await sandbox_pool.run("import os\neval('1')\n", {})
    assert [v["rule"] for v in info.value.fields["violations"]] == ["import", "forbidden_builtin"]
    assert info.value.status_code == 422


async def test_wall_timeout_message_names_limit_and_last_output(sandbox_pool: SandboxPool) -> None:
    code = "print('computing signals')\nwhile True:\n    pass\n"
    started = time.monotonic()
    with pytest.raises(SandboxLimitExceeded) as info:
        await sandbox_pool.run(code, {}, timeout_s=1.5)
    assert time.monotonic() - started < 5
    assert info.value.fields["limit"] == "wall_time"
    assert info.value.message.startswith("Backtest stopped: wall-clock limit 1.5 s exceeded while running")
    assert "computing signals" in info.value.message


async def test_cancel_kills_the_run_within_a_second(sandbox_pool: SandboxPool) -> None:
    cancel = asyncio.Event()
    task = asyncio.create_task(sandbox_pool.run("while True:\n    pass\n", {}, timeout_s=30, cancel=cancel))
    await asyncio.sleep(0.5)
    cancel.set()
    started = time.monotonic()
    with pytest.raises(SandboxCancelled):
        await task
    assert time.monotonic() - started < 1.0


async def test_runs_share_nothing(raw_pool: SandboxPool) -> None:
    """A module-level change in one run is invisible to the next (each run is a fresh fork). Straight into
    the OS layer: the policy refuses assigning a module's attribute before it could run."""
    poison = "import numpy as np\nnp.poisoned = True\nx = 1\n"
    with pytest.raises(CodeRaised):
        await raw_pool.run(poison, {})
    for _ in range(raw_pool.settings.pool_size):
        with pytest.raises(CodeRaised, match="has no attribute 'poisoned'"):
            await raw_pool.run("import numpy as np\nx = np.poisoned\n", {})


async def test_concurrent_runs_use_both_slots(sandbox_pool: SandboxPool, market_dir: Path) -> None:
    files = {"SPX": market_dir / "sp500.parquet"}
    results = await asyncio.gather(*(sandbox_pool.run(MA_CODE, files) for _ in range(6)))
    assert len({len(r.trades) for r in results}) == 1


async def test_runs_start_in_a_child_forked_ahead_each_its_own(sandbox_pool: SandboxPool) -> None:
    """The slot keeps one child forked from the zygote before the run arrives; every run gets a new one."""
    assert sandbox_pool.settings.prefork
    slot = await sandbox_pool._acquire()
    try:
        outcomes = [
            await slot.run(f"spare-{i}", "import os\nprint(os.getpid())\n", {}, 10.0, None) for i in range(3)
        ]
    finally:
        sandbox_pool._release(slot)
    assert [o.done["preforked"] for o in outcomes if o.done] == [True, True, True]
    pids = [int(o.stdout.strip()) for o in outcomes]
    assert len(set(pids)) == 3
