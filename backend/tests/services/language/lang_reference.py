"""Independent reference implementations (plain numpy loops) for the correctness tests.

Nothing here imports the project: indicators, signals and the backtest are re-derived from their
textbook definitions and from vectorbt's documented from_signals stop rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAN = np.nan


def sma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        out[i] = x[i - n + 1 : i + 1].sum() / n
    return out


def _recursive(x: np.ndarray, alpha: float, min_periods: int) -> np.ndarray:
    """y_t = alpha * x_t + (1 - alpha) * y_{t-1}, seeded with the first non-NaN x."""
    out = np.full(len(x), NAN)
    prev = NAN
    count = 0
    for i, value in enumerate(x):
        if np.isnan(value):
            continue
        prev = value if np.isnan(prev) else alpha * value + (1 - alpha) * prev
        count += 1
        if count >= min_periods:
            out[i] = prev
    return out


def ema(x: np.ndarray, n: int, min_periods: int | None = None) -> np.ndarray:
    return _recursive(x, 2 / (n + 1), n if min_periods is None else min_periods)


def wilder(x: np.ndarray, n: int) -> np.ndarray:
    return _recursive(x, 1 / n, n)


def wma(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    w = np.arange(1, n + 1, dtype=float)
    for i in range(n - 1, len(x)):
        out[i] = (x[i - n + 1 : i + 1] * w).sum() / w.sum()
    return out


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    change = np.concatenate([[NAN], np.diff(close)])
    gain = wilder(np.where(np.isnan(change), NAN, np.maximum(change, 0)), n)
    loss = wilder(np.where(np.isnan(change), NAN, np.maximum(-change, 0)), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100 - 100 / (1 + gain / loss)


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, ...]:
    line = ema(close, fast, 1) - ema(close, slow, 1)
    sig = ema(line, signal, 1)
    hist = line - sig
    warm = slow + signal - 2
    for arr in (line, sig, hist):
        arr[:warm] = NAN
    return line, sig, hist


def bollinger(close: np.ndarray, n: int = 20, k: float = 2.0) -> tuple[np.ndarray, ...]:
    mid = sma(close, n)
    std = np.full(len(close), NAN)
    for i in range(n - 1, len(close)):
        std[i] = np.sqrt(((close[i - n + 1 : i + 1] - mid[i]) ** 2).mean())
    return mid + k * std, mid, mid - k * std


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    tr = np.full(len(close), NAN)
    for i in range(1, len(close)):
        tr[i] = max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
    return tr


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    return wilder(true_range(high, low, close), n)


def stochastic(high: np.ndarray, low: np.ndarray, close: np.ndarray, k: int = 14, d: int = 3):  # type: ignore[no-untyped-def]
    pk = np.full(len(close), NAN)
    for i in range(k - 1, len(close)):
        lo, hi = low[i - k + 1 : i + 1].min(), high[i - k + 1 : i + 1].max()
        pk[i] = 100 * (close[i] - lo) / (hi - lo)
    return pk, sma_nan(pk, d)


def sma_nan(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        window = x[i - n + 1 : i + 1]
        if not np.isnan(window).any():
            out[i] = window.mean()
    return out


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    size = len(close)
    plus_dm, minus_dm = np.zeros(size), np.zeros(size)
    for i in range(1, size):
        up, down = high[i] - high[i - 1], low[i - 1] - low[i]
        plus_dm[i] = up if up > down and up > 0 else 0.0
        minus_dm[i] = down if down > up and down > 0 else 0.0
    tr_avg = atr(high, low, close, n)
    plus_di = 100 * wilder(plus_dm, n) / tr_avg
    minus_di = 100 * wilder(minus_dm, n) / tr_avg
    dx = 100 * np.abs(plus_di - minus_di) / (plus_di + minus_di)
    return wilder(dx, n)


def cci(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 20) -> np.ndarray:
    tp = (high + low + close) / 3
    out = np.full(len(tp), NAN)
    for i in range(n - 1, len(tp)):
        window = tp[i - n + 1 : i + 1]
        mad = np.abs(window - window.mean()).mean()
        out[i] = (tp[i] - window.mean()) / (0.015 * mad)
    return out


def roc(close: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(close), NAN)
    out[n:] = 100 * (close[n:] / close[:-n] - 1)
    return out


def prev_highest(high: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(high), NAN)
    for i in range(n, len(high)):
        out[i] = high[i - n : i].max()
    return out


def prev_lowest(low: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(low), NAN)
    for i in range(n, len(low)):
        out[i] = low[i - n : i].min()
    return out


def lag(x: np.ndarray, k: int = 1) -> np.ndarray:
    out = np.full(len(x), NAN)
    out[k:] = x[:-k]
    return out


def gt(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(a > b) & ~np.isnan(a) & ~np.isnan(np.broadcast_to(b, np.shape(a)))


def lt(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(a < b) & ~np.isnan(a) & ~np.isnan(np.broadcast_to(b, np.shape(a)))


def ge(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(a >= b)


def le(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(a <= b)


def cross_above(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    b_arr = np.broadcast_to(np.asarray(b, dtype=float), np.shape(a)).astype(float)
    return gt(a, b_arr) & le(lag(a), lag(b_arr) if b_arr.ndim else b_arr)


def cross_below(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    b_arr = np.broadcast_to(np.asarray(b, dtype=float), np.shape(a)).astype(float)
    return lt(a, b_arr) & ge(lag(a), lag(b_arr))


@dataclass
class Result:
    trades: list[tuple[int, int | None]]  # (entry bar, exit bar or None while open at the end)
    total_return: float


def backtest(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    *,
    sl: float | None = None,
    tp: float | None = None,
    trail: bool = False,
    fees: float = 0.0,
    slippage: float = 0.0,
    fraction: float = 1.0,
    init_cash: float = 10_000.0,
) -> Result:
    """Long-only, one position at a time, all-in (x fraction) at the signal bar's close.

    Stops (vectorbt 1.2 from_signals, stop_entry_price=close, stop_exit_price=stoplimit): from the bar
    after entry, the stop level is entry x (1 - sl) (trailing: highest high since entry, starting at
    the entry close, updated AFTER the bar's check); if the bar opens through it the fill is the open,
    else if low <= level <= high the fill is the level. The take-profit (entry x (1 + tp)) is checked
    only if the stop did not fire. A stop exit takes no slippage and blocks that bar's signals.
    An entry and an exit on the same bar cancel out.
    """
    cash, shares = init_cash, 0.0
    entry_price = peak = 0.0
    trades: list[tuple[int, int | None]] = []
    open_at: int | None = None
    for i in range(len(c)):
        if shares > 0 and (sl is not None or tp is not None):
            fill = NAN
            if sl is not None:
                level = (peak if trail else entry_price) * (1 - sl)
                if o[i] <= level:
                    fill = o[i]
                elif lo[i] <= level <= h[i]:
                    fill = level
            if np.isnan(fill) and tp is not None:
                level = entry_price * (1 + tp)
                if level <= o[i]:
                    fill = o[i]
                elif lo[i] <= level <= h[i]:
                    fill = level
            if trail and h[i] > peak:
                peak = h[i]
            if not np.isnan(fill):
                cash += shares * fill * (1 - fees)
                shares = 0.0
                trades.append((open_at, i))  # type: ignore[arg-type]
                open_at = None
                continue
        e, x = bool(entries[i]), bool(exits[i])
        if e and x:
            continue
        if shares == 0 and e:
            spend = cash * fraction
            price = c[i] * (1 + slippage)
            shares = spend / (1 + fees) / price
            cash -= spend
            entry_price = peak = c[i]
            open_at = i
        elif shares > 0 and x:
            cash += shares * c[i] * (1 - slippage) * (1 - fees)
            shares = 0.0
            trades.append((open_at, i))  # type: ignore[arg-type]
            open_at = None
    if open_at is not None:
        trades.append((open_at, None))
    final = cash + shares * c[-1]
    return Result(trades=trades, total_return=final / init_cash - 1)
