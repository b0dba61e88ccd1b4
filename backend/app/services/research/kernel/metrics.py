"""Headline metrics of one simulated combination over a window of bars, in numba.

The formulas are those of ``app/services/results/metrics.py`` (the host's, which a normal run uses); this
module repeats them because a sweep computes them for every combination inside the sandbox, where the
host's pandas code would be a thousand times slower. tests/services/research/test_kernel_equivalence.py
holds the two to 1e-9 on the same runs. In short: bar returns ``V_t / V_{t-1} - 1`` with the window's
starting value before the first bar; Sharpe ``mean(r - rf) / std(r - rf, ddof=1) x sqrt(P)``; Sortino
with the downside deviation over all bars; drawdowns from a peak seeded by the starting value; trades
counted in the window where they exit; percentages as in the API (25.5 means 25.5 %); NaN where the
host says None.

A window ``[a, b)`` other than the whole run (walk-forward folds) starts from the value at ``a - 1``: the
statistics of that stretch of the same continuous backtest.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TOTAL_RETURN = 0
CAGR = 1
VOLATILITY = 2
SHARPE = 3
SORTINO = 4
CALMAR = 5
MAX_DRAWDOWN = 6
WIN_RATE = 7
TRADES = 8
PROFIT_FACTOR = 9
EXPECTANCY = 10
EXPOSURE = 11
FINAL_EQUITY = 12
AVG_WIN = 13
AVG_LOSS = 14
BEST_TRADE = 15
WORST_TRADE = 16
N_METRICS = 17

METRIC_NAMES: tuple[str, ...] = (
    "total_return", "cagr", "volatility", "sharpe_ratio", "sortino_ratio", "calmar_ratio", "max_drawdown",
    "win_rate", "trades", "profit_factor", "expectancy", "exposure", "final_equity", "avg_win", "avg_loss",
    "best_trade", "worst_trade",
)  # fmt: skip


@njit(cache=True, nogil=True)
def bar_returns(equity: np.ndarray, start_value: float, a: int, b: int, out: np.ndarray) -> None:
    """``out[:b-a]`` = the window's bar returns (0 after a non-positive value, 0 where not finite)."""
    prev = start_value
    for t in range(a, b):
        r = equity[t] / prev - 1.0 if prev > 0 else 0.0
        out[t - a] = r if np.isfinite(r) else 0.0
        prev = equity[t]


_RETURN_METRICS = (VOLATILITY, SHARPE, SORTINO)
_EQUITY_METRICS = (TOTAL_RETURN, CAGR, CALMAR, MAX_DRAWDOWN, FINAL_EQUITY)


@njit(cache=True, nogil=True)
def window_metrics(
    equity: np.ndarray,
    returns: np.ndarray,
    start_value: float,
    a: int,
    b: int,
    periods: float,
    rf_per_bar: float,
    in_market: np.ndarray,
    trade_exit: np.ndarray,
    trade_pnl: np.ndarray,
    trade_ret: np.ndarray,
    n_trades: int,
    only: int,
    out: np.ndarray,
) -> None:
    """The figures of bars ``[a, b)`` into ``out``: all N_METRICS, or with ``only`` >= 0 just what that one
    needs. ``returns`` are the whole curve's bar returns (a window's first return is relative to the value
    before it, which is ``start_value``)."""
    n = b - a
    every = only < 0
    if every or only in _EQUITY_METRICS:
        final = equity[b - 1]
        growth = final / start_value
        out[TOTAL_RETURN] = (growth - 1.0) * 100.0
        out[FINAL_EQUITY] = final
        if growth <= 0:
            out[CAGR] = -100.0
        else:
            value = (growth ** (1.0 / (n / periods)) - 1.0) * 100.0
            out[CAGR] = value if np.isfinite(value) else np.nan
        peak = start_value
        worst = 0.0
        for t in range(a, b):
            if equity[t] > peak:
                peak = equity[t]
            dd = equity[t] / peak - 1.0 if peak > 0 else 0.0
            if t == a or dd < worst:
                worst = dd
        out[MAX_DRAWDOWN] = worst * 100.0
        out[CALMAR] = np.nan if np.isnan(out[CAGR]) or worst == 0 else out[CAGR] / abs(worst * 100.0)
    if every or only in _RETURN_METRICS:
        _return_metrics(returns, a, b, periods, rf_per_bar, out)
    if every or not (only in _RETURN_METRICS or only in _EQUITY_METRICS):
        _trade_metrics(a, b, in_market, trade_exit, trade_pnl, trade_ret, n_trades, out)


@njit(cache=True, nogil=True)
def _return_metrics(
    returns: np.ndarray, a: int, b: int, periods: float, rf_per_bar: float, out: np.ndarray
) -> None:
    n = b - a
    out[VOLATILITY] = np.nan
    out[SHARPE] = np.nan
    out[SORTINO] = np.nan
    if n < 2:
        return
    mean_r = 0.0
    excess_mean = 0.0
    for t in range(a, b):
        mean_r += returns[t]
        excess_mean += returns[t] - rf_per_bar
    mean_r /= n
    excess_mean /= n
    ss_r = 0.0
    ss = 0.0
    down = 0.0
    for t in range(a, b):
        ss_r += (returns[t] - mean_r) ** 2
        x = returns[t] - rf_per_bar
        ss += (x - excess_mean) ** 2
        if x < 0:
            down += x * x
    root = math.sqrt(periods)
    out[VOLATILITY] = math.sqrt(ss_r / (n - 1)) * root * 100.0
    ex_std = math.sqrt(ss / (n - 1))
    if ex_std > 0:
        out[SHARPE] = excess_mean / ex_std * root
    downside = math.sqrt(down / n)
    if downside > 0:
        out[SORTINO] = excess_mean / downside * root


@njit(cache=True, nogil=True)
def _trade_metrics(
    a: int,
    b: int,
    in_market: np.ndarray,
    trade_exit: np.ndarray,
    trade_pnl: np.ndarray,
    trade_ret: np.ndarray,
    n_trades: int,
    out: np.ndarray,
) -> None:
    count = 0
    wins = 0
    losses = 0
    gross_win = 0.0
    gross_loss = 0.0
    pnl_sum = 0.0
    win_ret = 0.0
    loss_ret = 0.0
    best = -np.inf
    worst = np.inf
    for j in range(n_trades):
        if a <= trade_exit[j] < b:
            count += 1
            pnl_sum += trade_pnl[j]
            best = max(best, trade_ret[j])
            worst = min(worst, trade_ret[j])
            if trade_pnl[j] > 0:
                wins += 1
                gross_win += trade_pnl[j]
                win_ret += trade_ret[j]
            elif trade_pnl[j] < 0:
                losses += 1
                gross_loss -= trade_pnl[j]
                loss_ret += trade_ret[j]
    out[TRADES] = count
    if count == 0:
        for key in (WIN_RATE, PROFIT_FACTOR, EXPECTANCY, AVG_WIN, AVG_LOSS, BEST_TRADE, WORST_TRADE):
            out[key] = np.nan
        out[EXPOSURE] = 0.0
        return
    out[WIN_RATE] = wins / count * 100.0
    out[PROFIT_FACTOR] = gross_win / gross_loss if gross_loss > 0 else np.nan
    out[EXPECTANCY] = pnl_sum / count
    out[AVG_WIN] = win_ret / wins if wins else np.nan
    out[AVG_LOSS] = loss_ret / losses if losses else np.nan
    out[BEST_TRADE] = best
    out[WORST_TRADE] = worst
    held = 0
    for t in range(a, b):
        if in_market[t]:
            held += 1
    out[EXPOSURE] = held / (b - a) * 100.0


def bar_returns_array(equity: np.ndarray, start_value: float) -> np.ndarray:
    """The bar returns of a whole curve (a plain array; see `bar_returns`)."""
    out = np.empty(len(equity))
    bar_returns(np.ascontiguousarray(equity, dtype=np.float64), float(start_value), 0, len(equity), out)
    return out
