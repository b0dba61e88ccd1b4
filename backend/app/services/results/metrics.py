"""Every number in `metrics`, computed here and nowhere else.

Conventions
-----------
* **Percent convention** (as in the original examples): figures named "return", "rate", "drawdown",
  "volatility", "exposure", "alpha" and the per-trade averages are percentages: ``25.5`` means 25.5 %.
  Ratios (Sharpe, Sortino, Calmar, profit factor, beta, correlation, information ratio) are plain numbers.
  Money figures (``expectancy``, ``final_equity``) are in the account currency.
* **Bar returns**: ``r_t = V_t / V_{t-1} - 1`` where ``V`` is the portfolio value at each bar close and
  ``V_{-1}`` is the initial capital, so the first bar's costs count (as in vectorbt's ``pf.returns()``).
  A return after the equity reached zero is taken as 0 (nothing left to gain or lose).
* **Periods per year** ``P`` (see `periods_per_year`): ``1d`` -> 252 trading days for calendars without
  weekend bars (equities) and 365 when any bar falls on a Saturday or Sunday (crypto trades every day);
  ``1h`` -> that day count x the median number of bars per calendar day (about 7 for US equities, 24 for
  crypto); ``1wk`` -> 52; ``1mo`` -> 12. ``years = bars / P``.
* **Risk-free rate**: ``params.risk_free_rate`` is an annual decimal; per bar it is compounded down,
  ``rf_p = (1 + rf) ** (1 / P) - 1``.

Formulas
--------
* ``total_return = (V_end / capital - 1) x 100``; ``final_equity = V_end``.
* ``cagr = ((V_end / capital) ** (1 / years) - 1) x 100``; -100 when the equity ended at or below zero.
* ``volatility = std(r, ddof=1) x sqrt(P) x 100``.
* ``sharpe_ratio = mean(r - rf_p) / std(r - rf_p, ddof=1) x sqrt(P)``.
* ``sortino_ratio = mean(r - rf_p) / DD x sqrt(P)`` with the downside deviation
  ``DD = sqrt(mean(min(r - rf_p, 0) ** 2))`` over *all* bars (the usual target-semideviation).
* Drawdown at each bar: ``V_t / peak_t - 1`` where ``peak_t`` is the highest of the initial capital and
  every value so far. ``max_drawdown`` is its minimum x 100 (negative, e.g. -8.5). Its ``start`` is the
  last bar at the peak before the trough (the first bar when the peak was the starting capital), ``trough``
  the lowest bar, ``recovery`` the first later bar back at or above that peak (None if never).
  ``longest_drawdown_days``: calendar days from a peak bar to its recovery bar (or to the last bar when not
  recovered), longest such span.
* ``calmar_ratio = cagr / |max_drawdown|``.
* Trades: every trade counts; a trade still open at the last bar is closed there at the last close for
  these statistics (its ``exit_reason`` is ``end_of_data``), so the trade PnLs add up to the total profit.
  ``trades`` = count (``long_trades`` + ``short_trades``); a short's PnL is ``size x (entry - exit)``
  less fees and its return is that PnL over ``size x entry price``, so the statistics below mix both sides
  on the same footing; ``win_rate`` = share with ``pnl > 0`` x 100; ``profit_factor`` = gross profit /
  |gross loss|; ``expectancy`` = mean PnL per trade in currency; ``avg_win`` / ``avg_loss`` = mean
  ``return_pct`` of winners / losers; ``best_trade`` / ``worst_trade`` = max / min ``return_pct``;
  ``avg_holding_days`` = mean calendar days from entry to exit (to the last bar for open trades).
* ``exposure``: percent of bars that end with a position open (entry bar included, exit bar excluded,
  which is how vectorbt's position coverage counts).
* Benchmark (buy and hold of the benchmark, aligned to the strategy's bars): ``benchmark_return`` =
  last / first - 1 (x 100); ``vs_benchmark = total_return - benchmark_return`` (percentage points).
  On bar-to-bar returns of both curves over their common bars (the first common bar has no return):
  ``beta = cov(rs, rb) / var(rb)`` (ddof=1), ``alpha = (mean(rs - rf_p) - beta x mean(rb - rf_p)) x P x 100``
  (Jensen's alpha, annualised arithmetically, percent), ``correlation`` = Pearson of rs and rb,
  ``information_ratio = mean(rs - rb) / std(rs - rb, ddof=1) x sqrt(P)``.

Where a figure is undefined (no variation, no losing trade, no benchmark) it is ``None`` and a note says why;
no NaN or infinity leaves this module.

Differences from vectorbt's ``pf.stats()``: vectorbt annualises with ``year_freq`` = 365 days by default
(here 252 trading days for equities); its max drawdown is a positive number and its running peak starts at
the first bar's value rather than the initial capital; its win rate and trade averages use closed trades only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from app.models.backtest import BacktestMetrics
from app.services.results._inputs import Trade, iso

# The keys and their types are declared once, on the API's model; `warnings` is added by `build_results`.
METRIC_KEYS: tuple[str, ...] = tuple(key for key in BacktestMetrics.model_fields if key != "warnings")

_DECIMALS = 6  # enough for any display; keeps the JSON short


@dataclass
class MetricSet:
    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # why a figure is None, in words a trader reads


def periods_per_year(index: pd.DatetimeIndex, timeframe: str) -> float:
    """Bars per year for annualising; see the module docstring.

    >>> days = pd.date_range("2024-01-01", periods=14, freq="D", tz="UTC")  # includes weekends: crypto
    >>> periods_per_year(days, "1d"), periods_per_year(days[days.day_of_week < 5], "1d")
    (365.0, 252.0)
    """
    days = 365.0 if bool((index.day_of_week >= 5).any()) else 252.0
    if timeframe == "1wk":
        return 52.0
    if timeframe == "1mo":
        return 12.0
    if timeframe == "1h":
        per_day = pd.Series(1, index=index).groupby(index.normalize()).size()
        return days * float(np.median(per_day)) if len(per_day) else days * 24.0
    return days


def bar_returns(equity: pd.Series, capital: float) -> np.ndarray:
    values = equity.to_numpy(dtype="float64")
    prev = np.concatenate([[capital], values[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, values / prev - 1.0, 0.0)
    return np.where(np.isfinite(r), r, 0.0)


def drawdown_fraction(equity: pd.Series, capital: float) -> pd.Series:
    """``V_t / peak_t - 1`` with the peak seeded by the initial capital (0 when the peak is not positive)."""
    values = equity.to_numpy(dtype="float64")
    peak = np.maximum.accumulate(np.concatenate([[capital], values]))[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, values / peak - 1.0, 0.0)
    return pd.Series(dd, index=equity.index, name="drawdown")


def compute_metrics(
    equity: pd.Series,
    trades: Sequence[Trade],
    benchmark: pd.Series | None,
    *,
    capital: float,
    risk_free_rate: float,
    periods: float,
) -> MetricSet:
    """All metrics for one run. ``benchmark`` is the aligned buy-and-hold equity (or None)."""
    out = MetricSet(values={})
    v = out.values
    n = len(equity)
    years = n / periods
    rf_p = (1.0 + risk_free_rate) ** (1.0 / periods) - 1.0
    r = bar_returns(equity, capital)
    final = float(equity.iloc[-1])

    v["total_return"] = (final / capital - 1.0) * 100.0
    v["cagr"] = _cagr(final / capital, years, out)
    _risk(v, r, rf_p, periods, out)
    _drawdowns(v, equity, capital, out)
    mdd = v["max_drawdown"]
    if v["cagr"] is None or mdd == 0:
        v["calmar_ratio"] = None
        if mdd == 0:
            out.notes.append("Calmar ratio is undefined: the equity never fell below a previous peak.")
    else:
        v["calmar_ratio"] = v["cagr"] / abs(mdd)
    _trade_stats(v, trades, equity.index, out)
    _benchmark_stats(v, equity, benchmark, rf_p, periods, out)
    v["final_equity"] = final
    v["start"] = iso(equity.index[0])
    v["end"] = iso(equity.index[-1])
    v["bars"] = n
    out.values = {k: _json_safe(v[k]) for k in METRIC_KEYS}
    return out


def _cagr(growth: float, years: float, out: MetricSet) -> float | None:
    if growth <= 0:
        return -100.0
    try:
        value = (growth ** (1.0 / years) - 1.0) * 100.0
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        out.notes.append("CAGR is undefined: the window is too short to annualise this return.")
        return None
    return value


def _risk(v: dict[str, Any], r: np.ndarray, rf_p: float, periods: float, out: MetricSet) -> None:
    if len(r) < 2:
        v["volatility"] = v["sharpe_ratio"] = v["sortino_ratio"] = None
        out.notes.append("Volatility, Sharpe and Sortino need at least two bars.")
        return
    excess = r - rf_p
    std = float(np.std(r, ddof=1))
    v["volatility"] = std * math.sqrt(periods) * 100.0
    ex_std = float(np.std(excess, ddof=1))
    if ex_std > 0:
        v["sharpe_ratio"] = float(np.mean(excess)) / ex_std * math.sqrt(periods)
    else:
        v["sharpe_ratio"] = None
        out.notes.append("Sharpe ratio is undefined: the returns never varied (the strategy stayed flat).")
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if downside > 0:
        v["sortino_ratio"] = float(np.mean(excess)) / downside * math.sqrt(periods)
    else:
        v["sortino_ratio"] = None
        out.notes.append("Sortino ratio is undefined: no bar returned less than the risk-free rate.")


def _drawdowns(v: dict[str, Any], equity: pd.Series, capital: float, out: MetricSet) -> None:
    dd = drawdown_fraction(equity, capital).to_numpy()
    values = equity.to_numpy(dtype="float64")
    idx = equity.index
    trough = int(np.argmin(dd))
    v["max_drawdown"] = float(dd[trough]) * 100.0
    v["max_drawdown_start"] = v["max_drawdown_trough"] = v["max_drawdown_recovery"] = None
    v["longest_drawdown_days"] = 0.0
    if dd[trough] >= 0:
        return
    peak_value = max(capital, float(values[: trough + 1].max()))
    at_peak = np.flatnonzero(values[: trough + 1] >= peak_value)
    v["max_drawdown_start"] = iso(idx[int(at_peak[-1])] if len(at_peak) else idx[0])
    v["max_drawdown_trough"] = iso(idx[trough])
    back = np.flatnonzero(values[trough + 1 :] >= peak_value)
    v["max_drawdown_recovery"] = iso(idx[trough + 1 + int(back[0])]) if len(back) else None

    longest = 0.0
    under = dd < 0
    i = 0
    while i < len(dd):
        if not under[i]:
            i += 1
            continue
        start = idx[i - 1] if i > 0 else idx[0]  # the peak bar; the first bar if the peak was the capital
        j = i
        while j < len(dd) and under[j]:
            j += 1
        end = idx[j] if j < len(dd) else idx[-1]
        longest = max(longest, (end - start).total_seconds() / 86400.0)
        i = j
    v["longest_drawdown_days"] = longest


def _trade_stats(v: dict[str, Any], trades: Sequence[Trade], index: pd.DatetimeIndex, out: MetricSet) -> None:
    v["trades"] = len(trades)
    v["long_trades"] = sum(t.direction != "short" for t in trades)
    v["short_trades"] = len(trades) - v["long_trades"]
    keys = ("win_rate", "profit_factor", "expectancy", "avg_win", "avg_loss", "best_trade", "worst_trade")
    if not trades:
        v.update(dict.fromkeys(keys))
        v["avg_holding_days"] = None
        v["exposure"] = 0.0
        out.notes.append("Trade statistics are undefined: there were no trades.")
        return
    pnl = np.array([t.pnl for t in trades])
    ret = np.array([t.return_pct for t in trades])
    wins, losses = pnl > 0, pnl < 0
    v["win_rate"] = float(wins.mean()) * 100.0
    gross_loss = float(-pnl[losses].sum())
    if gross_loss > 0:
        v["profit_factor"] = float(pnl[wins].sum()) / gross_loss
    else:
        v["profit_factor"] = None
        out.notes.append("Profit factor is undefined: no trade lost money.")
    v["expectancy"] = float(pnl.mean())
    v["avg_win"] = float(ret[wins].mean()) if wins.any() else None
    v["avg_loss"] = float(ret[losses].mean()) if losses.any() else None
    v["best_trade"] = float(ret.max())
    v["worst_trade"] = float(ret.min())
    last = index[-1]
    held = [((t.exit_time or last) - t.entry_time).total_seconds() / 86400.0 for t in trades]
    v["avg_holding_days"] = float(np.mean(held))
    v["exposure"] = float(in_market(trades, index).mean()) * 100.0


def in_market(trades: Sequence[Trade], index: pd.DatetimeIndex) -> np.ndarray:
    """Boolean per bar: a position is open at the bar's close (entry bar yes, exit bar no)."""
    if not trades:
        return np.zeros(len(index), dtype=bool)
    # One searchsorted for all trades, +1/-1 at each start/stop: a bar is open where the running sum is > 0.
    entries = pd.DatetimeIndex([t.entry_time for t in trades])
    exits = pd.DatetimeIndex([t.exit_time if not t.is_open else t.entry_time for t in trades])
    starts = index.searchsorted(entries, side="left")
    stops = np.where([t.is_open for t in trades], len(index), index.searchsorted(exits, side="left"))
    marks = np.zeros(len(index) + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, stops, -1)
    flags: np.ndarray = np.cumsum(marks[:-1]) > 0
    return flags


def _benchmark_stats(
    v: dict[str, Any],
    equity: pd.Series,
    benchmark: pd.Series | None,
    rf_p: float,
    periods: float,
    out: MetricSet,
) -> None:
    keys = ("benchmark_return", "vs_benchmark", "alpha", "beta", "correlation", "information_ratio")
    v.update(dict.fromkeys(keys))
    if benchmark is None or len(benchmark) == 0:
        out.notes.append("Benchmark figures are missing: no benchmark data was available for this window.")
        return
    v["benchmark_return"] = (float(benchmark.iloc[-1]) / float(benchmark.iloc[0]) - 1.0) * 100.0
    v["vs_benchmark"] = v["total_return"] - v["benchmark_return"]
    both = pd.concat([equity, benchmark], axis=1, join="inner").to_numpy(dtype="float64")
    if len(both) < 3:
        out.notes.append("Alpha, beta, correlation and information ratio need at least three common bars.")
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = both[1:] / both[:-1] - 1.0
    rets = rets[np.isfinite(rets).all(axis=1)]
    rs, rb = rets[:, 0], rets[:, 1]
    var_b = float(np.var(rb, ddof=1)) if len(rb) > 1 else 0.0
    if var_b > 0:
        beta = float(np.cov(rs, rb, ddof=1)[0, 1]) / var_b
        v["beta"] = beta
        v["alpha"] = (float(np.mean(rs - rf_p)) - beta * float(np.mean(rb - rf_p))) * periods * 100.0
    else:
        out.notes.append("Alpha and beta are undefined: the benchmark never moved.")
    if var_b > 0 and float(np.std(rs)) > 0:
        v["correlation"] = float(np.corrcoef(rs, rb)[0, 1])
    else:
        out.notes.append("Correlation is undefined: one of the curves never moved.")
    active = rs - rb
    active_std = float(np.std(active, ddof=1)) if len(active) > 1 else 0.0
    if active_std > 0:
        v["information_ratio"] = float(np.mean(active)) / active_std * math.sqrt(periods)
    else:
        out.notes.append("Information ratio is undefined: the strategy moved exactly like the benchmark.")


def _json_safe(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    f = float(value)
    return round(f, _DECIMALS) if math.isfinite(f) else None
