"""Every metric against an independent computation written here (plain numpy/pandas, scipy for the
regression), on a real vectorbt backtest of the S&P 500; plus vectorbt's own stats where conventions agree."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from app.models.backtest import TradeRow
from app.services.results import METRIC_KEYS, BacktestResults, build_results
from app.services.sandbox.result import SignalCounts
from tests.services.results.results_fixtures import CAPITAL, Run, params

P = 252.0  # S&P 500 daily bars have no weekends


def approx(value: float, rel: float = 1e-6, abs_: float = 2e-6) -> Any:
    return pytest.approx(value, rel=rel, abs=abs_)


def values(run: Run) -> np.ndarray:
    return np.array([v for _, v in run.equity])


def bar_returns(run: Run) -> np.ndarray:
    v = values(run)
    prev = np.r_[CAPITAL, v[:-1]]
    return v / prev - 1


def test_metric_keys_exact_and_json_safe(built: BacktestResults) -> None:
    assert list(built.metrics.model_dump()) == [*METRIC_KEYS, "warnings"]
    assert isinstance(built.metrics.warnings, list)
    json.dumps(built.model_dump(), allow_nan=False)


def test_stored_results_read_back_as_they_were_written(built: BacktestResults) -> None:
    """What a BacktestRun stores (JSON) is what the API's typed shapes read back, key for key."""
    stored = json.loads(json.dumps(built.model_dump(mode="json")))
    assert BacktestResults.model_validate(stored) == built
    assert built.trades and all(isinstance(t, TradeRow) for t in built.trades)


def test_returns_and_risk(ma_run: Run, built: BacktestResults) -> None:
    m, v = built.metrics.model_dump(), values(ma_run)
    r = bar_returns(ma_run)
    rf_p = 1.02 ** (1 / P) - 1
    years = len(v) / P
    assert m["total_return"] == approx((v[-1] / CAPITAL - 1) * 100)
    assert m["final_equity"] == approx(v[-1])
    assert m["cagr"] == approx(((v[-1] / CAPITAL) ** (1 / years) - 1) * 100)
    assert m["volatility"] == approx(np.std(r, ddof=1) * np.sqrt(P) * 100)
    ex = r - rf_p
    assert m["sharpe_ratio"] == approx(ex.mean() / ex.std(ddof=1) * np.sqrt(P))
    downside = np.sqrt(np.mean(np.where(ex < 0, ex, 0.0) ** 2))
    assert m["sortino_ratio"] == approx(ex.mean() / downside * np.sqrt(P))
    assert m["bars"] == len(v) == 5031
    assert m["start"].startswith("1999-01-04") and m["end"].startswith("2018-12-31")


def _drawdown_by_loop(stamps: list[pd.Timestamp], v: np.ndarray) -> dict[str, Any]:
    """Plain loop: the deepest fall from a running peak (seeded by the capital), and the longest spell under
    water in calendar days, from the peak bar to the recovery bar."""
    peak, peak_i = CAPITAL, 0
    worst, worst_peak_i, worst_i = 0.0, 0, 0
    longest, spell_start = 0.0, None
    for i, x in enumerate(v):
        if x >= peak:
            if spell_start is not None:
                longest = max(longest, (stamps[i] - spell_start).days)
                spell_start = None
            peak, peak_i = x, i
            continue
        if spell_start is None:
            spell_start = stamps[peak_i] if i > 0 else stamps[0]
        if x / peak - 1 < worst:
            worst, worst_peak_i, worst_i = x / peak - 1, peak_i, i
    if spell_start is not None:
        longest = max(longest, (stamps[-1] - spell_start).days)
    peak_value = max(CAPITAL, v[: worst_i + 1].max())
    recovery = next((stamps[j] for j in range(worst_i + 1, len(v)) if v[j] >= peak_value), None)
    return {
        "mdd": worst * 100,
        "start": stamps[worst_peak_i],
        "trough": stamps[worst_i],
        "recovery": recovery,
        "longest": float(longest),
    }


def test_drawdowns(ma_run: Run, built: BacktestResults) -> None:
    m = built.metrics.model_dump()
    stamps = [pd.Timestamp(t) for t, _ in ma_run.equity]
    ref = _drawdown_by_loop(stamps, values(ma_run))
    assert m["max_drawdown"] == approx(ref["mdd"]) and m["max_drawdown"] < 0
    assert pd.Timestamp(m["max_drawdown_start"]) == ref["start"]
    assert pd.Timestamp(m["max_drawdown_trough"]) == ref["trough"]
    got_recovery = m["max_drawdown_recovery"]
    assert (pd.Timestamp(got_recovery) if got_recovery else None) == ref["recovery"]
    assert m["longest_drawdown_days"] == ref["longest"]
    years = len(stamps) / P
    cagr = ((values(ma_run)[-1] / CAPITAL) ** (1 / years) - 1) * 100
    assert m["calmar_ratio"] == approx(cagr / abs(ref["mdd"]))
    dd_series = np.array([x for _, x in built.full_series["drawdown"]])
    assert dd_series.min() == approx(ref["mdd"])


def test_trade_statistics(ma_run: Run, built: BacktestResults) -> None:
    raw = ma_run.pf.trades.records_readable  # vectorbt's own table, not our input dicts
    pnl, ret = raw["PnL"].to_numpy(), raw["Return"].to_numpy() * 100
    m = built.metrics.model_dump()
    assert m["trades"] == len(raw) > 10
    assert m["win_rate"] == approx((pnl > 0).sum() / len(pnl) * 100)
    assert m["profit_factor"] == approx(pnl[pnl > 0].sum() / -pnl[pnl < 0].sum())
    assert m["expectancy"] == approx(pnl.mean())
    assert m["avg_win"] == approx(ret[pnl > 0].mean())
    assert m["avg_loss"] == approx(ret[pnl < 0].mean())
    assert m["best_trade"] == approx(ret.max())
    assert m["worst_trade"] == approx(ret.min())
    held = (raw["Exit Timestamp"] - raw["Entry Timestamp"]).dt.total_seconds() / 86400
    assert m["avg_holding_days"] == approx(held.mean())
    # exposure: vectorbt's own bar-by-bar position (shares held at each close)
    assert m["exposure"] == approx((ma_run.pf.assets().to_numpy() > 0).mean() * 100)
    assert pnl.sum() == approx(values(ma_run)[-1] - CAPITAL, rel=1e-9)


def test_benchmark_figures(ma_run: Run, built: BacktestResults) -> None:
    close = ma_run.bars["close"].to_numpy()
    m = built.metrics.model_dump()
    bench_ret = (close[-1] / close[0] - 1) * 100
    assert m["benchmark_return"] == approx(bench_ret)
    assert m["vs_benchmark"] == approx(m["total_return"] - bench_ret)
    rs = np.diff(values(ma_run)) / values(ma_run)[:-1]
    rb = np.diff(close) / close[:-1]
    fit = stats.linregress(rb, rs)
    rf_p = 1.02 ** (1 / P) - 1
    assert m["beta"] == approx(fit.slope)
    assert m["correlation"] == approx(fit.rvalue)
    assert m["alpha"] == approx(((rs - rf_p).mean() - fit.slope * (rb - rf_p).mean()) * P * 100)
    active = rs - rb
    assert m["information_ratio"] == approx(active.mean() / active.std(ddof=1) * np.sqrt(P))
    bench_series = np.array([x for _, x in built.full_series["benchmark"]])
    np.testing.assert_allclose(bench_series, CAPITAL * close / close[0], rtol=1e-12)


def test_agrees_with_vectorbt_stats(ma_run: Run) -> None:
    """vectorbt annualises with 365 days by default: pass 252 to compare; its drawdown is positive, its
    peak starts at the first value (equal to the capital here, as no order fills on the first bar)."""
    pf = ma_run.pf
    no_rate = ma_run.params.model_copy(update={"risk_free_rate": 0.0})
    m = build_results(
        ma_run.equity, ma_run.trades, ma_run.bars["close"], no_rate, ma_run.stops
    ).metrics.model_dump()
    vbt_stats = pf.stats(settings={"year_freq": "252 days"})
    assert m["total_return"] == approx(vbt_stats["Total Return [%]"])
    assert -m["max_drawdown"] == approx(vbt_stats["Max Drawdown [%]"])
    assert m["sharpe_ratio"] == approx(vbt_stats["Sharpe Ratio"])
    assert m["sortino_ratio"] == approx(vbt_stats["Sortino Ratio"])
    assert m["calmar_ratio"] == approx(vbt_stats["Calmar Ratio"])
    assert m["benchmark_return"] == approx(vbt_stats["Benchmark Return [%]"])
    assert m["win_rate"] == approx(vbt_stats["Win Rate [%]"])  # no open trade in this run
    assert m["profit_factor"] == approx(vbt_stats["Profit Factor"])
    assert m["expectancy"] == approx(vbt_stats["Expectancy"])
    assert m["best_trade"] == approx(vbt_stats["Best Trade [%]"])
    assert m["trades"] == vbt_stats["Total Trades"]


def test_open_trade_counts_marked_to_market(trailing_run: Run) -> None:
    raw = trailing_run.pf.trades.records_readable
    assert (raw["Status"] == "Open").sum() == 1, "fixture should end with one open position"
    m = build_results(
        trailing_run.equity, trailing_run.trades, None, trailing_run.params
    ).metrics.model_dump()
    pnl = raw["PnL"].to_numpy()
    assert m["trades"] == len(raw)
    assert m["win_rate"] == approx((pnl > 0).mean() * 100)
    last = pd.Timestamp(trailing_run.equity[-1][0])
    exits = raw["Exit Timestamp"].where(raw["Status"] == "Closed", last)
    assert m["avg_holding_days"] == approx(
        ((exits - raw["Entry Timestamp"]).dt.total_seconds() / 86400).mean()
    )
    assert m["exposure"] == approx((trailing_run.pf.assets().to_numpy() > 0).mean() * 100)
    assert m["benchmark_return"] is None and m["beta"] is None
    assert any("benchmark" in w.lower() for w in m["warnings"])


def test_flat_equity_gives_none_not_nan() -> None:
    stamps = pd.bdate_range("2020-01-01", periods=300, tz="UTC")
    equity = [(t.isoformat(), 1000.0) for t in stamps]
    res = build_results(equity, [], None, params(initial_capital=1000.0), None, SignalCounts(entries=0))
    m = res.metrics.model_dump()
    assert m["total_return"] == 0 and m["max_drawdown"] == 0 and m["volatility"] == 0
    for key in ("sharpe_ratio", "sortino_ratio", "calmar_ratio", "win_rate", "profit_factor"):
        assert m[key] is None, key
    json.dumps(res.model_dump(), allow_nan=False)
    assert any("Sharpe ratio is undefined" in w for w in m["warnings"])


def test_crypto_calendar_uses_365_days(sp500: pd.DataFrame) -> None:
    """Seven-day calendar (crypto): annualise with 365 bars a year."""
    days = pd.date_range("2017-01-01", periods=730, freq="D", tz="UTC")
    v = CAPITAL * np.cumprod(1 + np.random.default_rng(7).normal(0.0005, 0.02, len(days)))
    m = build_results(
        [(t.isoformat(), x) for t, x in zip(days, v, strict=True)],
        [],
        None,
        params(initial_capital=CAPITAL),
    ).metrics.model_dump()
    r = v / np.r_[CAPITAL, v[:-1]] - 1
    assert m["volatility"] == approx(r.std(ddof=1) * math.sqrt(365) * 100)
    assert m["cagr"] == approx(((v[-1] / CAPITAL) ** (365 / len(v)) - 1) * 100)
