"""An MA-crossover sweep with stops on the bundled S&P 500 bars, and the same strategy as a normal run
(vectorbt's from_signals, read back as an execution reads it), for the sweep tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.services.research.kernel import Grid, Market, SweepPlan, WalkForward
from app.services.research.kernel.signals import IndicatorTable, crossed_above, crossed_below

DATASETS = Path(__file__).resolve().parents[4] / "app" / "datasets"
CAPITAL = 10_000.0


def spx(bars: int = 2500) -> pd.DataFrame:
    raw = pd.read_csv(DATASETS / "SPX.csv.gz", index_col="date", parse_dates=["date"])
    raw.index = pd.DatetimeIndex(raw.index).tz_localize("UTC")
    return raw.iloc[-bars:].astype("float64")


def market_of(bars: pd.DataFrame) -> Market:
    def col(name: str) -> pd.DataFrame:
        return bars[[name]].rename(columns={name: "SPX"})

    return Market.from_frames(col("open"), col("high"), col("low"), col("close"))


def crossover_signals(bars: pd.DataFrame, windows: Sequence[float]) -> Any:
    """``signals(p)`` for "SMA(fast) crosses above SMA(slow)" entries and the cross below as exits, each SMA
    computed once per window with the generated code's own pandas expression."""
    close = bars["close"]
    sma = IndicatorTable(windows, lambda n: close.rolling(n).mean())

    def signals(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        fast, slow = sma.pick(p["fast"]), sma.pick(p["slow"])
        return {"entries": crossed_above(fast, slow), "exits": crossed_below(fast, slow)}

    return signals


def crossover_plan(bars: pd.DataFrame, grid: dict[str, Sequence[float]], **overrides: Any) -> SweepPlan:
    windows = sorted({*grid["fast"], *grid["slow"]})
    fields: dict[str, Any] = {"size": 1.0, "size_type": "percent", "fees": 0.001, "slippage": 0.001}
    fields["sl_stop"] = (lambda p: p["sl"] / 100) if "sl" in grid else 0.05
    fields["tp_stop"] = 0.07
    if "fees" in grid:
        fields["fees"] = lambda p: p["fees"]
    plan: dict[str, Any] = dict(
        grid=Grid(grid),
        signals=crossover_signals(bars, windows),
        signal_params=["fast", "slow"],
        init_cash=CAPITAL,
        periods=252.0,
        fields=fields,
        constraints=[("fast", "<", "slow")],
        walk_forward=WalkForward(folds=4, in_sample=0.7),
    )
    plan.update(overrides)
    return SweepPlan(**plan)


def normal_run(
    bars: pd.DataFrame, fast: int, slow: int, sl: float = 0.05, fees: float = 0.001
) -> dict[str, Any]:
    """The strategy as an ordinary execution runs it (the generated code's shape), metrics as the API
    shows them."""
    import vectorbt as vbt

    from app.models.params import ExecutionParams
    from app.services.results import build_results
    from app.services.sandbox.harness.extract import extract
    from app.services.sandbox.result import TradeRecord

    frame = bars.rename(columns={c: c for c in bars.columns})
    close = frame[["close"]].rename(columns={"close": "SPX"})
    sma_fast = close.rolling(fast).mean()
    sma_slow = close.rolling(slow).mean()
    entries = (sma_fast > sma_slow) & (sma_fast.shift(1) <= sma_slow.shift(1))
    exits = (sma_fast < sma_slow) & (sma_fast.shift(1) >= sma_slow.shift(1))

    def col(name: str) -> pd.DataFrame:
        return frame[[name]].rename(columns={name: "SPX"})

    portfolio = vbt.Portfolio.from_signals(
        close, entries, exits, open=col("open"), high=col("high"), low=col("low"), sl_stop=sl,
        sl_trail=False, tp_stop=0.07, size=1.0, size_type="percent", fees=fees, slippage=0.001,
        init_cash=CAPITAL, freq="1D",
    )  # fmt: skip
    out = extract({"portfolio": portfolio}, ["SPX"])
    params = ExecutionParams(initial_capital=CAPITAL, timeframe="1d", fees=0.0, slippage=0.001)
    trades = [TradeRecord.model_validate(t) for t in out["trades"]]
    metrics = build_results(out["equity"], trades, None, params).metrics.model_dump()
    return {"metrics": metrics, "extract": out}
