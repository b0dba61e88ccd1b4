"""An independent bar-by-bar simulator of long/short signal backtests, written from the fill rules the
product states (`app.models.fills`) and vectorbt 1.2's documented order arithmetic, in plain Python.

Nothing here imports the project or vectorbt. It keeps the account the way a broker statement does: cash
(short proceeds included), the position of each symbol, and for shorts the debt (the value they were sold
at) and the free cash left to open more; the equity is cash + position x close.

Order arithmetic (per order, price ``p``, slippage ``s``, fee rate ``f``):

* buy at ``p x (1 + s)``, sell at ``p x (1 - s)``; the fee is ``f x`` the traded value;
* all-in (``percent`` 1, or an unlimited ``value``): a buy spends the whole cash limit ``C`` (fee included):
  size ``C / (1 + f) / price``; a short sells ``free / (price x (1 + f))``; a percent ``q`` < 1 scales the
  cash limit (buy) or the shortable size (short) by ``q``;
* a fixed ``value`` V buys or shorts ``V / close`` units (fewer when a buy lacks the cash);
* a reversal is one order: the open units plus the new side's units, sized from the account after the
  close (a fraction ``q`` of the cash left, for a long; of the free cash, for a short).

Stops (checked from the bar after the entry, before that bar's signals): the stop-loss or trailing stop
first, then the take-profit; a long's stop sits at ``ref x (1 - sl)`` (a short's at ``ref x (1 + sl)``) and
fills at that level when the bar's range holds it, or at the open when the bar opened beyond it; ``ref`` is
the entry bar's close, or for a trailing stop the best high (low, for a short) since then, updated after each
bar's check. A stop fill takes the bar: its signals are ignored, unless ``reenter_on_exit_bar``, where an
entry signal of the bar is then taken at its close. With ``stop_slippage`` the stop fill is moved against the
trader by the slippage.

Time limit (``max_bars``): a position still open at the close of its ``max_bars``-th bar after the entry
bar is closed there, at the close with the usual slippage, after the stop checks; like a stop fill it takes
the bar (re-entry only with ``reenter_on_exit_bar``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

NAN = math.nan


@dataclass
class Trade:
    col: int
    direction: str  # "long" | "short"
    entry_idx: int
    entry_price: float
    size: float
    entry_fees: float
    exit_idx: int | None = None
    exit_price: float | None = None
    exit_fees: float = 0.0

    def pnl(self, last_close: float) -> float:
        exit_price = self.exit_price if self.exit_price is not None else last_close
        diff = self.size * exit_price - self.size * self.entry_price
        if self.direction == "short":
            diff = -diff
        return diff - self.entry_fees - self.exit_fees


@dataclass
class Sim:
    equity: np.ndarray
    trades: list[Trade] = field(default_factory=list)


@dataclass
class _Col:
    position: float = 0.0
    debt: float = 0.0
    ref: float = NAN  # entry close: the stops' reference
    peak: float = NAN  # trailing reference
    sl: float = NAN
    tp: float = NAN
    trade: Trade | None = None
    bars: int = 0  # bars since the entry bar


def _col(a: np.ndarray, i: int, c: int) -> float:
    return float(a[i, c])


def simulate(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    long_entries: np.ndarray,
    long_exits: np.ndarray,
    short_entries: np.ndarray | None = None,
    short_exits: np.ndarray | None = None,
    *,
    sl: np.ndarray | float = NAN,
    tp: np.ndarray | float = NAN,
    trail: bool = False,
    size: float = 1.0,
    size_type: str = "percent",  # "percent" (of cash) | "value" (cash per entry; inf: all of it)
    fees: float = 0.0,
    slippage: float = 0.0,
    init_cash: float = 10_000.0,
    stop_slippage: bool = False,
    reenter_on_exit_bar: bool = False,
    max_bars: int | None = None,
) -> Sim:
    """Arrays are (bars, symbols); all symbols share one cash account, handled in column order."""
    n, k = c.shape
    se = np.zeros_like(long_entries) if short_entries is None else short_entries
    sx = np.zeros_like(long_exits) if short_exits is None else short_exits
    sl_arr = np.broadcast_to(np.asarray(sl, dtype=float), (n, k))
    tp_arr = np.broadcast_to(np.asarray(tp, dtype=float), (n, k))
    cols = [_Col() for _ in range(k)]
    acct = {"cash": init_cash, "free": init_cash}
    trades: list[Trade] = []
    equity = np.zeros(n)

    def fill(i: int, j: int, units: float, price: float, slip: float) -> None:
        """Signed units (+ buy, - sell) at ``price`` before slippage; books cash, debt, free cash, trades."""
        col = cols[j]
        buy = units > 0
        adj = price * (1 + slip) if buy else price * (1 - slip)
        qty = abs(units)
        value = qty * adj
        fee = value * fees
        before = col.position
        after = before + units
        if buy:
            acct["cash"] -= value + fee
            if before < 0:
                covered = min(qty, -before)
                debt_diff = covered * (col.debt / -before)
                col.debt -= debt_diff
                acct["free"] += 2 * debt_diff - (value + fee)
            else:
                acct["free"] -= value + fee
        else:
            acct["cash"] += value - fee
            if after < 0:
                shorted = qty if before < 0 else -after
                col.debt += shorted * adj
                acct["free"] += (value - fee) - 2 * shorted * adj
            else:
                acct["free"] += value - fee
        # trades: close the open one (fees pro rata), open the remainder
        closing = min(qty, abs(before)) if before * units < 0 else 0.0
        if closing > 0 and col.trade is not None:
            col.trade.exit_idx, col.trade.exit_price = i, adj
            col.trade.exit_fees = fee * closing / qty
            col.trade = None
        opening = qty - closing
        if opening > 1e-12 and abs(after) > 1e-12:
            col.trade = Trade(j, "long" if after > 0 else "short", i, adj, opening, fee * opening / qty)
            trades.append(col.trade)
        col.position = 0.0 if abs(after) < 1e-12 else after
        if col.position == 0.0:
            col.debt = 0.0
            col.ref = col.peak = col.sl = col.tp = NAN

    def entry_units(j: int, i: int, direction: int, reverse: float) -> float:
        """Units to trade for an entry (``direction`` +1 long / -1 short) on top of closing ``reverse``."""
        price = _col(c, i, j)
        adj = price * (1 + slippage) if direction > 0 else price * (1 - slippage)
        if size_type == "value" and math.isfinite(size):
            units = reverse + size / price
            if direction > 0 and units * adj * (1 + fees) > acct["cash"]:  # a buy is capped by the cash
                units = acct["cash"] / (1 + fees) / adj
            return direction * units
        q = size if size_type == "percent" else 1.0
        if direction > 0:  # cover the short (if any), then q of the cash left goes long
            left = acct["cash"] - reverse * adj * (1 + fees)
            return reverse + q * max(0.0, left) / (1 + fees) / adj
        long_cash = reverse * adj * (1 - fees)  # close the long (if any), then short q of the free cash
        return -(reverse + q * max(0.0, acct["free"] + long_cash) / (adj * (1 + fees)))

    for i in range(n):
        for j in range(k):
            col = cols[j]
            stopped = False
            if col.position != 0:
                col.bars += 1
            if col.position != 0 and not (math.isnan(col.sl) and math.isnan(col.tp)):
                fill_price = _stop_fill(col, _col(o, i, j), _col(h, i, j), _col(lo, i, j))
                if trail and not math.isnan(col.sl):
                    if col.position > 0 and _col(h, i, j) > col.peak:
                        col.peak = _col(h, i, j)
                    if col.position < 0 and _col(lo, i, j) < col.peak:
                        col.peak = _col(lo, i, j)
                if not math.isnan(fill_price):
                    fill(i, j, -col.position, fill_price, slippage if stop_slippage else 0.0)
                    stopped = True
            if not stopped and max_bars is not None and col.position != 0 and col.bars >= max_bars:
                fill(i, j, -col.position, _col(c, i, j), slippage)
                stopped = True
            if stopped and not reenter_on_exit_bar:
                continue
            le, lx = bool(long_entries[i, j]), bool(long_exits[i, j])
            s_e, s_x = bool(se[i, j]), bool(sx[i, j])
            if le and lx:
                le = lx = False
            if s_e and s_x:
                s_e = s_x = False
            if le and s_e:
                le = s_e = False
            pos = col.position
            units = 0.0
            if pos > 0:
                if s_e:
                    units = entry_units(j, i, -1, pos)
                elif lx:
                    units = -pos
            elif pos < 0:
                if le:
                    units = entry_units(j, i, +1, -pos)
                elif s_x:
                    units = -pos
            elif le:
                units = entry_units(j, i, +1, 0.0)
            elif s_e:
                units = entry_units(j, i, -1, 0.0)
            if units == 0.0:
                continue
            fill(i, j, units, _col(c, i, j), slippage)
            if col.position != 0 and np.sign(col.position) != np.sign(pos):
                col.ref = col.peak = _col(c, i, j)
                col.sl, col.tp = float(sl_arr[i, j]), float(tp_arr[i, j])
                col.bars = 0
        equity[i] = acct["cash"] + sum(
            col.position * _col(c, i, j) for j, col in enumerate(cols) if col.position != 0
        )
    return Sim(equity=equity, trades=trades)


def _stop_fill(col: _Col, o: float, h: float, lo: float) -> float:
    long = col.position > 0
    if not math.isnan(col.sl):
        level = col.peak * (1 - col.sl) if long else col.peak * (1 + col.sl)
        hit = _hit(level, o, h, lo, below=long)
        if not math.isnan(hit):
            return hit
    if not math.isnan(col.tp):
        level = col.ref * (1 + col.tp) if long else col.ref * (1 - col.tp)
        return _hit(level, o, h, lo, below=not long)
    return NAN


def _hit(level: float, o: float, h: float, lo: float, *, below: bool) -> float:
    """Fill of a level reached from above (``below``: a long's stop) or from below; NaN if not reached."""
    if (below and o <= level) or (not below and o >= level):
        return o
    if lo <= level <= h:
        return level
    return NAN
