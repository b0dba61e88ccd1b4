"""A block of combinations through the simulator and straight into reductions, without the GIL.

Nothing per bar survives a combination unless asked: each one leaves a row of headline metrics, its
objective on each walk-forward window, and (for the combinations sampled for the PBO) the sums of its
excess returns on each CSCV partition. That is what keeps a million-combination sweep inside a few hundred
MB.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .metrics import N_METRICS, bar_returns, window_metrics
from .simulate import simulate_group


@njit(cache=True, nogil=True)
def run_block(
    n_cols: int,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    close_filled: np.ndarray,
    long_entries: np.ndarray,
    long_exits: np.ndarray,
    short_entries: np.ndarray,
    short_exits: np.ndarray,
    signal_of_group: np.ndarray,
    init_cash: float,
    size: np.ndarray,
    size_type: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    sl_stop: np.ndarray,
    sl_trail: np.ndarray,
    tp_stop: np.ndarray,
    stop_exit_price: np.ndarray,
    periods: float,
    rf_per_bar: float,
    windows: np.ndarray,
    objective: int,
    cscv_bounds: np.ndarray,
    cscv_row: np.ndarray,
    keep_row: np.ndarray,
    metrics_out: np.ndarray,
    window_out: np.ndarray,
    cscv_out: np.ndarray,
    equity_out: np.ndarray,
    errors_out: np.ndarray,
) -> None:
    """Simulate groups ``0..len(signal_of_group)``; group ``g`` reads signal rows
    ``signal_of_group[g] * n_cols + k`` and the ``g``-th entry of each parameter array.

    Metrics cover all bars; ``windows[w] = (a, b)`` are walk-forward windows whose objective goes to
    ``window_out[g, w]``; ``cscv_bounds`` splits the bars into partitions whose (sum, sum of squares) of
    excess returns go to ``cscv_out[cscv_row[g]]`` when that row is >= 0; the equity of groups with
    ``keep_row[g] >= 0`` goes to ``equity_out[keep_row[g]]``. ``errors_out[g]`` is 0 or the simulator's
    error code.
    """
    n = close.shape[0]
    n_groups = signal_of_group.shape[0]
    equity = np.empty(n)
    in_market = np.empty(n, dtype=np.bool_)
    cap = n * n_cols + 1
    trade_exit = np.empty(cap, dtype=np.int64)
    trade_pnl = np.empty(cap)
    trade_ret = np.empty(cap)
    returns = np.empty(n)
    row = np.empty(N_METRICS)
    n_parts = cscv_bounds.shape[0] - 1
    for g in range(n_groups):
        n_trades, err = simulate_group(
            signal_of_group[g] * n_cols, n_cols, open_, high, low, close, close_filled,
            long_entries, long_exits, short_entries, short_exits, init_cash,
            size[g], size_type[g], fees[g], slippage[g], sl_stop[g], sl_trail[g], tp_stop[g],
            stop_exit_price[g], equity, in_market, trade_exit, trade_pnl, trade_ret,
        )  # fmt: skip
        errors_out[g] = err
        if err != 0:
            metrics_out[g, :] = np.nan
            window_out[g, :] = np.nan
            continue
        if keep_row[g] >= 0:
            equity_out[keep_row[g], :] = equity
        bar_returns(equity, init_cash, 0, n, returns)
        window_metrics(
            equity, returns, init_cash, 0, n, periods, rf_per_bar, in_market, trade_exit, trade_pnl,
            trade_ret, n_trades, -1, metrics_out[g],
        )  # fmt: skip
        if cscv_row[g] >= 0:
            for p in range(n_parts):
                s = 0.0
                ss = 0.0
                for t in range(cscv_bounds[p], cscv_bounds[p + 1]):
                    x = returns[t] - rf_per_bar
                    s += x
                    ss += x * x
                cscv_out[cscv_row[g], p, 0] = s
                cscv_out[cscv_row[g], p, 1] = ss
        for w in range(windows.shape[0]):
            a, b = windows[w, 0], windows[w, 1]
            window_metrics(
                equity, returns, init_cash if a == 0 else equity[a - 1], a, b, periods, rf_per_bar,
                in_market, trade_exit, trade_pnl, trade_ret, n_trades, objective, row,
            )  # fmt: skip
            window_out[g, w] = row[objective]
