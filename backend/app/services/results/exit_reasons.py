"""Why each trade ended, and the price rule that filled it, for long and short trades.

The trade records say *when* and *at what price* a position closed, not *why*. The reason is recovered by
replaying vectorbt's stop rules (``Portfolio.from_signals`` with ``stop_entry_price="close"``) on the exit
bar and checking which rule reproduces the recorded exit price:

* the stops are measured from the **close of the entry bar** (the reference), not from the filled entry
  price, which carries slippage; a distance in ATR multiples is ``k x ATR`` of the entry bar, i.e. the
  fraction ``k x ATR / close`` of the reference (`results.atr` computes the same Wilder ATR as the code);
* a stop is checked from the bar after entry; on the exit bar the stop loss is checked first, then the
  trailing stop, then the take profit (vectorbt's order: a bar that touches both levels is a loss);
* long: stop-loss ``reference x (1 - sl)`` and trailing ``peak x (1 - trail)`` are reached from above (filled
  at the level when ``low <= level <= high``, at the **open** when the bar opened below it: a gap); ``peak``
  is the highest of the reference and the highs *before* the exit bar. Take profit ``reference x (1 + tp)``
  is reached from below (a gap-up open fills at the open);
* short, mirrored: stop-loss ``reference x (1 + sl)`` and trailing ``trough x (1 + trail)`` (``trough``: the
  lowest of the reference and the lows before the exit bar) are reached from below; take profit
  ``reference x (1 - tp)`` from above;
* a recorded exit price equal to the fill price (or to it moved against the trader by the slippage, for
  ``stop_slippage``) names the rule; otherwise a trade closed on the ``exit_after_bars``-th bar after its
  entry bar ended on the strategy's time limit (``time``); anything else is the strategy's exit ``signal``
  (or an entry of the other side reversing the position); a position still open at the last bar is
  ``end_of_data`` (marked to the last close).

Worked example: entry bar close 101.20, stop loss 5 %: level = 101.20 x 0.95 = 96.14. On the exit bar the
low reached 95.80 and the open was 99.00, so the order filled at 96.14:
``"low <= entry close 101.20 x (1 - 5%) = 96.14; filled at 96.14"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.models.backtest import ExitReason
from app.models.stops import Distance, Stops
from app.services.results._inputs import Trade

_REL_TOL = 1e-6

AtrAt = Callable[[int, pd.Timestamp], float]  # (period, bar time) -> ATR of that bar (NaN if none)


@dataclass(frozen=True)
class ExitExplanation:
    reason: ExitReason
    rule: str


@dataclass(frozen=True)
class _Bar:
    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True)
class _Exit:
    """What one trade's exit is checked against."""

    bar: _Bar | None
    price: float
    slippage: float
    long: bool


def explain_exit(
    trade: Trade,
    bars: pd.DataFrame | None,
    stops: Stops,
    slippage: float,
    atr_at: AtrAt | None = None,
    reversed_by_entry: bool = False,
) -> ExitExplanation:
    """Exit reason and fill rule for one trade (see the module docstring). ``atr_at`` gives the ATR of a bar
    for stops in ATR multiples; ``reversed_by_entry`` says the next trade of the symbol is of the other side
    and starts on this exit bar (a reversal)."""
    if trade.is_open or trade.exit_price is None or trade.exit_time is None:
        price = f"{trade.exit_price:.2f}" if trade.exit_price is not None else "the last close"
        return ExitExplanation("end_of_data", f"still open at the last bar; marked to market at {price}")
    long = trade.direction != "short"
    entry_bar = _bar_at(bars, trade.entry_time)
    out = _Exit(_bar_at(bars, trade.exit_time), trade.exit_price, slippage, long)
    # Without bars, the filled entry price stands in for the entry close (off by the entry slippage).
    ref = entry_bar.close if entry_bar is not None else trade.entry_price
    ref_name = "entry close" if entry_bar is not None else "entry"
    against = "-" if long else "+"  # a stop sits against the position, a target in its favour
    toward = "+" if long else "-"

    def fraction(distance: Distance | None) -> tuple[float, str] | None:
        """The distance as a fraction of ``ref``, and how to say it."""
        if distance is None:
            return None
        if distance.fraction is not None:
            return distance.fraction, _percent(distance.fraction)
        multiple = distance.atr_multiple
        atr = atr_at(distance.atr_period, trade.entry_time) if atr_at is not None else math.nan
        if multiple is None or not (math.isfinite(atr) and ref > 0):
            return None
        words = f"{multiple:g} x ATR({distance.atr_period}) {atr:.2f} / {ref:.2f}"
        return multiple * atr / ref, words

    sl = fraction(stops.stop_loss)
    if sl is not None:
        level = ref * (1 - sl[0]) if long else ref * (1 + sl[0])
        formula = f"{ref_name} {ref:.2f} x (1 {against} {sl[1]})"
        if (found := _match("stop_loss", level, formula, out, falling=long)) is not None:
            return found
    trail = fraction(stops.trailing)
    if trail is not None:
        best = max(ref, _extreme(bars, trade, "high")) if long else min(ref, _extreme(bars, trade, "low"))
        level = best * (1 - trail[0]) if long else best * (1 + trail[0])
        formula = f"{'peak' if long else 'trough'} {best:.2f} x (1 {against} {trail[1]})"
        if (found := _match("trailing_stop", level, formula, out, falling=long)) is not None:
            return found
    tp = fraction(stops.take_profit)
    if tp is not None:
        level = ref * (1 + tp[0]) if long else ref * (1 - tp[0])
        formula = f"{ref_name} {ref:.2f} x (1 {toward} {tp[1]})"
        if (found := _match("take_profit", level, formula, out, falling=not long)) is not None:
            return found
    held = _bars_held(bars, trade) if stops.exit_after_bars is not None else None
    if stops.exit_after_bars is not None and held == stops.exit_after_bars:
        rule = f"held {held} bars, the time limit; closed at the close, filled at {out.price:.2f}"
        return ExitExplanation("time", rule)
    what = "an entry of the other side reversed the position" if reversed_by_entry else "exit rule true"
    if out.bar is not None:
        return ExitExplanation("signal", f"{what} at close {out.bar.close:.2f}; filled at {out.price:.2f}")
    return ExitExplanation("signal", f"{what}; filled at {out.price:.2f}")


def _percent(fraction: float) -> str:
    """0.05 -> '5%' (rounded to 10 decimals first: 0.07 x 100 is 7.000000000000001)."""
    return f"{round(fraction * 100, 10):g}%"


def _match(
    reason: ExitReason, level: float, formula: str, out: _Exit, *, falling: bool
) -> ExitExplanation | None:
    """``falling``: the level is reached from above (a long's stop, a short's target), so an open at or below
    it is a gap filled at the open; otherwise from below."""
    bar = out.bar
    if bar is not None and (bar.open <= level if falling else bar.open >= level):
        gap = "gap down" if falling else "gap up"
        fill, rule = (
            bar.open,
            f"open {bar.open:.2f} {'<=' if falling else '>='} {formula} = {level:.2f} ({gap})",
        )
    elif bar is None or bar.low <= level <= bar.high:
        fill, rule = level, f"{'low <=' if falling else 'high >='} {formula} = {level:.2f}"
    else:
        return None
    if _close(out.price, fill):
        return ExitExplanation(reason, f"{rule}; filled at {out.price:.2f}")
    slipped = fill * (1 - out.slippage) if out.long else fill * (1 + out.slippage)  # a sell, or a buy back
    if out.slippage > 0 and _close(out.price, slipped):
        return ExitExplanation(reason, f"{rule}; filled at {out.price:.2f} after {out.slippage:.2%} slippage")
    return None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=1e-12)


def _bar_at(bars: pd.DataFrame | None, ts: pd.Timestamp) -> _Bar | None:
    if bars is None or len(bars) == 0:
        return None
    # Sorted bars (`build._utc_frame`): a binary search on the int64 stamps (`ts in index` costs ~100 us).
    # A repeated timestamp: the last row wins, as in the market-data cache.
    # (`asi8` counts in the index's unit; `Timestamp.value` is always in ns)
    stamps, wanted = bars.index.asi8, int(ts.as_unit(bars.index.unit).asm8.astype("int64"))
    at = int(np.searchsorted(stamps, wanted, side="right")) - 1
    if at < 0 or stamps[at] != wanted:
        return None

    columns = bars.columns

    def col(name: str) -> float:  # `iat` per cell: a whole row as a Series costs ~10x more
        value = float(bars.iat[at, columns.get_loc(name)]) if name in columns else math.nan
        return value if math.isfinite(value) else math.nan

    # Missing fields are filled the way vectorbt fills them before checking stops.
    close, open_, low, high = col("close"), col("open"), col("low"), col("high")
    open_ = open_ if math.isfinite(open_) else close
    low = low if math.isfinite(low) else min(open_, close)
    high = high if math.isfinite(high) else max(open_, close)
    return _Bar(open=open_, high=high, low=low, close=close)


def _bars_held(bars: pd.DataFrame | None, trade: Trade) -> int | None:
    """Bars from the entry bar to the exit bar (1: the next bar), counting the symbol's bars with a close."""
    if bars is None or trade.exit_time is None:
        return None
    closes = bars["close"] if "close" in bars.columns else bars.iloc[:, 0]
    # The bars are sorted (`build._utc_frame`): a binary search, not a mask over every bar per trade.
    start = bars.index.searchsorted(trade.entry_time, side="right")
    end = bars.index.searchsorted(trade.exit_time, side="right")
    return int(closes.iloc[start:end].notna().sum())


def _extreme(bars: pd.DataFrame | None, trade: Trade, field: str) -> float:
    """Highest high (``field="high"``, long) or lowest low (short) strictly after the entry bar and strictly
    before the exit bar: vectorbt moves the trailing reference only after checking the stop on each bar."""
    highest = field == "high"
    none = -math.inf if highest else math.inf
    if bars is None or trade.exit_time is None:
        return none
    start = bars.index.searchsorted(trade.entry_time, side="right")
    end = bars.index.searchsorted(trade.exit_time, side="left")
    window = bars.iloc[start:end]
    if window.empty:
        return none
    values = window[field] if field in window.columns else window["close"]
    return float(values.max() if highest else values.min())
