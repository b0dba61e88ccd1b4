"""Sanity warnings: each gate fires on a run built to trip it, and stays quiet on a healthy one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.services.results import build_results
from app.services.sandbox.result import SignalCounts
from tests.services.results.results_fixtures import CAPITAL, Run, ma_signals, params, run_vbt, trade

PARAMS = params(initial_capital=CAPITAL, timeframe="1d", slippage=0.0)


def _warnings(run: Run) -> list[str]:
    res = build_results(
        run.equity,
        run.trades,
        run.bars["close"],
        run.params,
        run.stops,
        run.signals,
        {"SPX": run.bars},
    )
    return res.metrics.warnings


def test_real_run_warns_only_that_one_trade_carries_it(ma_run: Run) -> None:
    """57 trades over 20 years: no gate but the one-trade gate (its best trade beats its small net profit)."""
    raw = ma_run.pf.trades.records_readable
    best = raw.loc[raw["PnL"].idxmax()]
    net = raw["PnL"].sum()
    assert best["PnL"] > 0.5 * net > 0
    (only,) = _warnings(ma_run)
    assert only.startswith(
        f"One trade made {best['PnL'] / net * 100:.0f}% of the profit (SPX, "
        f"{best['Entry Timestamp'].date()} to {best['Exit Timestamp'].date()}"
    )
    assert only.endswith(f"would be {(net - best['PnL']) / CAPITAL * 100:+.2f}%.")


def test_entry_rule_never_true(sp500: pd.DataFrame) -> None:
    never = pd.Series(False, index=sp500.index)
    run = run_vbt(sp500, never, never)
    (first, *_) = _warnings(run)
    assert first.startswith("No trades: the entry rule was never true")


def test_capital_below_one_unit(sp500: pd.DataFrame) -> None:
    """Whole units only (as a strategy sized in shares would be): 500 cannot buy one S&P 500 unit."""
    import vectorbt as vbt

    entries, exits = ma_signals(sp500["close"])
    pf = vbt.Portfolio.from_signals(
        sp500["close"], entries, exits, init_cash=500.0, size_granularity=1, freq="1D"
    )
    equity = [(t.isoformat(), float(v)) for t, v in pf.value().items()]
    assert pf.trades.count() == 0
    res = build_results(
        equity,
        [],
        sp500["close"],
        PARAMS.model_copy(update={"initial_capital": 500.0}),
        None,
        SignalCounts(entries=int(entries.sum()), exits=int(exits.sum())),
        {"SPX": sp500},
    )
    text = res.metrics.warnings[0]
    assert "below the price of one unit of SPX" in text
    assert f"{sp500['close'].min():,.2f}" in text


def test_rules_never_true_together(sp500: pd.DataFrame) -> None:
    """Entries and exits on the same bars: vectorbt ignores both, so nothing trades."""
    entries, _ = ma_signals(sp500["close"])
    run = run_vbt(sp500, entries, entries)
    assert run.trades == []
    first = _warnings(run)[0]
    assert f"entry rule was true on {int(entries.sum())} bars" in first
    assert "never true together" in first


def test_few_trades_short_window_and_one_trade(sp500: pd.DataFrame) -> None:
    bars = sp500.loc["2017-01-01":"2017-08-31"]
    entries, exits = ma_signals(bars["close"])
    run = run_vbt(bars, entries, exits)
    warnings = _warnings(run)
    n = len(run.trades)
    assert 0 < n < 10
    assert any(w.startswith(f"Only {n} trade") for w in warnings)
    months = len(bars) / 252 * 12
    assert any(f"only about {months:.1f} months" in w for w in warnings)
    pnl = np.array([t.pnl for t in run.trades])
    net = run.equity[-1][1] - CAPITAL
    dominated = net > 0 and pnl.max() > 0.5 * net
    assert any("One trade made" in w for w in warnings) == dominated


def test_one_trade_carries_the_result() -> None:
    days = pd.bdate_range("2015-01-01", periods=600, tz="UTC")
    equity = np.full(len(days), CAPITAL)
    equity[300:] += 900.0
    equity[400:] += 100.0
    trades = [
        trade(
            symbol="AAA",
            entry_time=days[250].isoformat(),
            exit_time=days[300].isoformat(),
            entry_price=10.0,
            exit_price=19.0,
            size=100.0,
            pnl=900.0,
            return_pct=90.0,
        ),
        trade(
            symbol="AAA",
            entry_time=days[350].isoformat(),
            exit_time=days[400].isoformat(),
            entry_price=10.0,
            exit_price=11.0,
            size=100.0,
            pnl=100.0,
            return_pct=10.0,
        ),
    ]
    res = build_results([(t.isoformat(), v) for t, v in zip(days, equity, strict=True)], trades, None, PARAMS)
    text = next(w for w in res.metrics.warnings if w.startswith("One trade made"))
    assert "90% of the profit" in text and "+1.00%" in text


def test_equity_that_went_to_zero() -> None:
    days = pd.bdate_range("2015-01-01", periods=400, tz="UTC")
    equity = np.linspace(CAPITAL, 0.0, 200).tolist() + [0.0] * 200
    res = build_results([(t.isoformat(), v) for t, v in zip(days, equity, strict=True)], [], None, PARAMS)
    m = res.metrics.model_dump()
    assert any(w.startswith(f"The equity fell to zero on {days[199].date()}") for w in m["warnings"])
    assert m["total_return"] == -100.0 and m["cagr"] == -100.0 and m["max_drawdown"] == -100.0
