"""One backtest of one parameter combination, as vectorbt's ``Portfolio.from_signals`` would run it.

A *group* is one combination: ``n_cols`` symbols trading from one shared cash balance (one symbol is a
group of one). Each bar, in vectorbt's order (its ``simulate_from_signals_nb``, static path, defaults the
generated code relies on):

1. every column's order price is the close, and its valuation price becomes that close (NaN keeps the
   last one);
2. a column with an open stop checks it against the bar's open/low/high (a gap through the level fills at
   the open, a touch at the level; the stop-loss first, then the take-profit), and a trailing stop then
   ratchets to the bar's high (low for a short). A stop hit replaces the bar's signals with an exit; it
   fills without slippage unless ``stop_exit_price`` says market (1) or close (3);
3. otherwise the signals: an entry and an exit of the same side on one bar cancel, as do a long and a
   short entry; an opposite entry reverses the position (vectorbt's ``reversereduce``); a repeated entry
   does not add (no accumulation);
4. the orders fill in column order against the shared cash (``orders.execute``), and a fill that opens
   or reverses a position sets its stops from that bar's close.

The portfolio value is accounted exactly as ``Portfolio.value()`` rebuilds it from the order records:
cash plus each position times the forward/back-filled close, with vectorbt's tolerant additions. Round
trips are vectorbt's exit trades (a position still open is closed at the last close for statistics).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .orders import (
    BOTH,
    BUY,
    ERR_NEGATIVE_STOP,
    ERR_PERCENT_REVERSAL,
    ERROR,
    FILLED,
    LONG_ONLY,
    PERCENT,
    SELL,
    SHORT_ONLY,
    VALUE,
    add,
    execute,
    is_close,
    is_close_or_less,
    is_less,
)

STOP_LIMIT, STOP_MARKET, STOP_AT_PRICE, STOP_AT_CLOSE = 0, 1, 2, 3
LONG, SHORT = 0, 1


@njit(cache=True, nogil=True)
def flex(a: np.ndarray, col: int, i: int) -> bool:
    """``a[col, i]`` where a signal array of one row or one column stands for all of them."""
    return a[col if a.shape[0] > 1 else 0, i if a.shape[1] > 1 else 0]


@njit(cache=True, nogil=True)
def stop_hit(
    position: float, base: float, stop: float, open_: float, low: float, high: float, below: bool
) -> float:
    """The fill price of a stop this bar, or NaN. ``below``: the level sits under ``base`` for a long
    (a stop-loss) and over it for a short; otherwise the reverse (a take-profit)."""
    if (position > 0 and below) or (position < 0 and not below):
        level = base * (1 - stop)
        if open_ <= level:
            return open_
        if low <= level <= high:
            return level
        return np.nan
    if (position < 0 and below) or (position > 0 and not below):
        level = base * (1 + stop)
        if level <= open_:
            return open_
        if low <= level <= high:
            return level
        return np.nan
    return np.nan


@njit(cache=True, nogil=True)
def signals_to_order(
    position: float,
    long_entry: bool,
    long_exit: bool,
    short_entry: bool,
    short_exit: bool,
    size: float,
    size_type: int,
    val_price: float,
) -> tuple[float, int, int, int]:
    """(order size, size type, direction, error) for the bar's resolved signals, no accumulation."""
    order_size = 0.0
    direction = BOTH
    if position > 0:
        if short_entry:
            order_size = -abs(position)
            if not np.isnan(size):
                if size_type == PERCENT:
                    return 0.0, size_type, direction, ERR_PERCENT_REVERSAL
                order_size -= size / val_price if size_type == VALUE else size
            size_type = 0
        elif long_exit:
            direction = LONG_ONLY
            order_size = -abs(position)
            size_type = 0
        elif long_entry:
            direction = LONG_ONLY
    elif position < 0:
        if long_entry:
            order_size = abs(position)
            if not np.isnan(size):
                if size_type == PERCENT:
                    return 0.0, size_type, direction, ERR_PERCENT_REVERSAL
                order_size += size / val_price if size_type == VALUE else size
            size_type = 0
        elif short_exit:
            direction = SHORT_ONLY
            order_size = abs(position)
            size_type = 0
        elif short_entry:
            direction = SHORT_ONLY
    elif long_entry:
        order_size = size
    elif short_entry:
        order_size = -size
    return order_size, size_type, direction, 0


@njit(cache=True, nogil=True)
def _trade(
    size: float, entry_price: float, entry_fees: float, exit_price: float, exit_fees: float, direction: int
) -> tuple[float, float]:
    """(pnl, return) of a round trip, as vectorbt's ``get_trade_stats_nb``."""
    entry_val = size * entry_price
    val_diff = add(size * exit_price, -entry_val)
    if val_diff != 0 and direction == SHORT:
        val_diff *= -1
    pnl = val_diff - entry_fees - exit_fees
    return pnl, pnl / entry_val


@njit(cache=True, nogil=True)
def simulate_group(
    sig_first_col: int,
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
    init_cash: float,
    size: float,
    size_type: int,
    fees: float,
    slippage: float,
    sl_stop: float,
    sl_trail: bool,
    tp_stop: float,
    stop_exit_price: int,
    equity: np.ndarray,
    in_market: np.ndarray,
    trade_exit: np.ndarray,
    trade_pnl: np.ndarray,
    trade_ret: np.ndarray,
) -> tuple[int, int]:
    """Simulate one group over all bars; fills ``equity`` (value at each close), ``in_market`` (a position
    open at the close) and the trade arrays (exit bar, PnL, return in percent). Returns (trades, error).

    Prices are ``(bars, n_cols)``; signals are ``(columns, bars)`` (one row per combination and symbol, so a
    combination reads contiguous memory) read at rows ``sig_first_col + k``.
    """
    n = close.shape[0]
    position = np.zeros(n_cols)
    debt = np.zeros(n_cols)
    last_val = np.full(n_cols, np.nan)
    sl_price = np.full(n_cols, np.nan)
    sl_cur = np.full(n_cols, np.nan)
    trail_cur = np.zeros(n_cols, dtype=np.bool_)
    tp_price = np.full(n_cols, np.nan)
    tp_cur = np.full(n_cols, np.nan)
    price_k = np.empty(n_cols)
    size_k = np.empty(n_cols)
    type_k = np.empty(n_cols, dtype=np.int64)
    dir_k = np.empty(n_cols, dtype=np.int64)
    slip_k = np.empty(n_cols)
    assets = np.zeros(n_cols)
    in_pos = np.zeros(n_cols, dtype=np.bool_)
    t_dir = np.zeros(n_cols, dtype=np.int64)
    t_size = np.zeros(n_cols)
    t_gross = np.zeros(n_cols)
    t_fees = np.zeros(n_cols)
    cash = init_cash
    free_cash = init_cash
    cash_series = init_cash  # cash as value() rebuilds it from the fills
    n_trades = 0

    for i in range(n):
        for k in range(n_cols):
            price_k[k] = close[i, k]
            if not np.isnan(close[i, k]):
                last_val[k] = close[i, k]
        for k in range(n_cols):
            col = sig_first_col + k
            pos = position[k]
            price = price_k[k]
            slip = slippage
            stop_price = np.nan
            if not np.isnan(sl_cur[k]) or not np.isnan(tp_cur[k]):
                c = close[i, k]
                o = open_[i, k] if not np.isnan(open_[i, k]) else c
                lo = low[i, k] if not np.isnan(low[i, k]) else min(o, c)
                hi = high[i, k] if not np.isnan(high[i, k]) else max(o, c)
                if sl_cur[k] < 0 or tp_cur[k] < 0:
                    return n_trades, ERR_NEGATIVE_STOP
                if not np.isnan(sl_cur[k]):
                    stop_price = stop_hit(pos, sl_price[k], sl_cur[k], o, lo, hi, True)
                if np.isnan(stop_price) and not np.isnan(tp_cur[k]):
                    stop_price = stop_hit(pos, tp_price[k], tp_cur[k], o, lo, hi, False)
                if not np.isnan(sl_cur[k]) and trail_cur[k]:
                    if pos > 0 and hi > sl_price[k]:
                        sl_price[k] = hi
                    elif pos < 0 and lo < sl_price[k]:
                        sl_price[k] = lo
            if not np.isnan(stop_price):
                le, se = False, False
                lx, sx = pos > 0, pos < 0
                if stop_exit_price == STOP_MARKET:
                    price = stop_price
                elif stop_exit_price == STOP_LIMIT:
                    price = stop_price
                    slip = 0.0
                elif stop_exit_price == STOP_AT_CLOSE:
                    price = close[i, k]
            else:
                le, lx = flex(long_entries, col, i), flex(long_exits, col, i)
                se, sx = flex(short_entries, col, i), flex(short_exits, col, i)
                if le or se:
                    if le and lx:
                        le, lx = False, False
                    if se and sx:
                        se, sx = False, False
                    if le and se:
                        le, se = False, False
            if not (le or lx or se or sx):  # most bars: nothing to do
                size_k[k] = 0.0
                continue
            order_size, order_type, direction, err = signals_to_order(
                pos, le, lx, se, sx, size, size_type, last_val[k]
            )
            if err != 0:
                return n_trades, err
            price_k[k] = price
            slip_k[k] = slip
            size_k[k] = order_size
            type_k[k] = order_type
            dir_k[k] = direction

        flow_sum = 0.0
        for k in range(n_cols):
            flow = 0.0
            signed = 0.0
            if size_k[k] != 0:
                before = position[k]
                cash, position[k], debt[k], free_cash, status, info, f_size, f_price, f_fees = execute(
                    cash, position[k], debt[k], free_cash, last_val[k], size_k[k], type_k[k], price_k[k],
                    dir_k[k], fees, slip_k[k],
                )  # fmt: skip
                if status == ERROR:
                    return n_trades, info
                if status == FILLED:
                    side = BUY if size_k[k] > 0 else SELL
                    signed = f_size if side == BUY else -f_size
                    flow = add(0.0, -signed * f_price - f_fees)
                    n_trades = _book_fill(
                        k, i, side, f_size, f_price, f_fees, in_pos, t_dir, t_size, t_gross, t_fees,
                        trade_exit, trade_pnl, trade_ret, n_trades,
                    )  # fmt: skip
                    _update_stops(
                        k, before, position[k], close[i, k], sl_stop, sl_trail, tp_stop,
                        sl_price, sl_cur, trail_cur, tp_price, tp_cur,
                    )  # fmt: skip
            flow_sum += flow
            assets[k] = add(assets[k], add(0.0, signed))
        cash_series = add(cash_series, flow_sum)
        asset_value = 0.0
        holding = False
        for k in range(n_cols):
            if assets[k] != 0:
                asset_value += close_filled[i, k] * assets[k]
            holding = holding or in_pos[k]
        equity[i] = cash_series + asset_value
        in_market[i] = holding

    for k in range(n_cols):
        if in_pos[k] and is_less(-t_size[k], 0.0):
            entry_price = t_gross[k] / t_size[k]
            pnl, ret = _trade(t_size[k], entry_price, t_fees[k], close[n - 1, k], 0.0, t_dir[k])
            trade_exit[n_trades] = n - 1
            trade_pnl[n_trades] = pnl
            trade_ret[n_trades] = ret * 100.0
            n_trades += 1
    return n_trades, 0


@njit(cache=True, nogil=True)
def _book_fill(
    k: int,
    i: int,
    side: int,
    f_size: float,
    f_price: float,
    f_fees: float,
    in_pos: np.ndarray,
    t_dir: np.ndarray,
    t_size: np.ndarray,
    t_gross: np.ndarray,
    t_fees: np.ndarray,
    trade_exit: np.ndarray,
    trade_pnl: np.ndarray,
    trade_ret: np.ndarray,
    n_trades: int,
) -> int:
    """Round-trip bookkeeping of vectorbt's ``get_exit_trades_nb`` for one fill; returns the trade count."""
    if not in_pos[k]:
        in_pos[k] = True
        t_dir[k] = LONG if side == BUY else SHORT
        t_size[k] = 0.0
        t_gross[k] = 0.0
        t_fees[k] = 0.0
    if (t_dir[k] == LONG and side == BUY) or (t_dir[k] == SHORT and side == SELL):
        t_size[k] += f_size
        t_gross[k] += f_size * f_price
        t_fees[k] += f_fees
        return n_trades
    entry_price = t_gross[k] / t_size[k]
    if is_close_or_less(f_size, t_size[k]):
        whole = is_close(f_size, t_size[k])
        exit_size = t_size[k] if whole else f_size
        entry_fees = exit_size / t_size[k] * t_fees[k]
        pnl, ret = _trade(exit_size, entry_price, entry_fees, f_price, f_fees, t_dir[k])
        trade_exit[n_trades] = i
        trade_pnl[n_trades] = pnl
        trade_ret[n_trades] = ret * 100.0
        if whole:
            in_pos[k] = False
        else:
            fraction = (t_size[k] - f_size) / t_size[k]
            t_size[k] *= fraction
            t_gross[k] *= fraction
            t_fees[k] *= fraction
        return n_trades + 1
    closed = t_size[k]
    closed_fees = closed / f_size * f_fees
    entry_fees = closed / t_size[k] * t_fees[k]
    pnl, ret = _trade(closed, entry_price, entry_fees, f_price, closed_fees, t_dir[k])
    trade_exit[n_trades] = i
    trade_pnl[n_trades] = pnl
    trade_ret[n_trades] = ret * 100.0
    t_size[k] = f_size - closed
    t_gross[k] = t_size[k] * f_price
    t_fees[k] = f_fees - closed_fees
    t_dir[k] = SHORT if t_dir[k] == LONG else LONG
    return n_trades + 1


@njit(cache=True, nogil=True)
def _update_stops(
    k: int,
    before: float,
    now: float,
    close: float,
    sl_stop: float,
    sl_trail: bool,
    tp_stop: float,
    sl_price: np.ndarray,
    sl_cur: np.ndarray,
    trail_cur: np.ndarray,
    tp_price: np.ndarray,
    tp_cur: np.ndarray,
) -> None:
    """After a fill: a closed position clears its stops; an opened or reversed one sets them from the
    close; a larger one re-sets the stops that are given (vectorbt's ``override``)."""
    if now == 0:
        sl_price[k] = np.nan
        sl_cur[k] = np.nan
        trail_cur[k] = False
        tp_price[k] = np.nan
        tp_cur[k] = np.nan
    elif before == 0 or np.sign(now) != np.sign(before):
        sl_price[k] = close
        sl_cur[k] = sl_stop
        trail_cur[k] = sl_trail
        tp_price[k] = close
        tp_cur[k] = tp_stop
    elif abs(now) > abs(before):
        if not np.isnan(sl_stop):
            sl_price[k] = close
            sl_cur[k] = sl_stop
            trail_cur[k] = sl_trail
        if not np.isnan(tp_stop):
            tp_price[k] = close
            tp_cur[k] = tp_stop
