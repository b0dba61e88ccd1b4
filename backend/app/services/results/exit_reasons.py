"""Why each trade ended, and the price rule that filled it.

The trade records say *when* and *at what price* a position closed, not *why*. The reason is recovered by
replaying vectorbt's stop rules (``Portfolio.from_signals`` defaults: ``stop_entry_price="close"``,
``stop_exit_price="stoplimit"``) on the exit bar and checking which rule reproduces the recorded exit price:

* the stops are measured from the **close of the entry bar** (the reference), not from the filled entry
  price, which carries slippage;
* a stop is checked from the bar after entry; on the exit bar the stop loss is checked first, then the
  trailing stop, then the take profit (vectorbt's order: a bar that touches both levels is a loss);
* a long stop-loss level is ``reference x (1 - sl%)``; it fills at that level when ``low <= level <= high``,
  or at the **open** when the bar opened already below it (a gap). The trailing level is
  ``peak x (1 - trail%)`` where ``peak`` is the highest of the reference and the highs *before* the exit
  bar; take profit is ``reference x (1 + tp%)``, filled at the level or at a gap-up open;
* a recorded exit price equal to the fill price (or to it less slippage, for ``stop_exit_price="stopmarket"``)
  names the rule; otherwise a trade closed at the close of its ``exit_after_bars``-th bar after the entry bar
  ended on the strategy's time limit (``time``); anything else is the strategy's exit ``signal``; a position
  still open at the last bar is ``end_of_data`` (marked to the last close).

Worked example: entry bar close 101.20, stop loss 5 %: level = 101.20 x 0.95 = 96.14. On the exit bar the
low reached 95.80 and the open was 99.00, so the order filled at 96.14:
``"low <= entry close 101.20 x (1 - 5%) = 96.14; filled at 96.14"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.models.backtest import ExitReason
from app.services.results._inputs import Stops, Trade

_REL_TOL = 1e-6


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


def explain_exit(trade: Trade, bars: pd.DataFrame | None, stops: Stops, slippage: float) -> ExitExplanation:
    """Exit reason and fill rule for one long trade (see the module docstring)."""
    if trade.is_open or trade.exit_price is None or trade.exit_time is None:
        price = f"{trade.exit_price:.2f}" if trade.exit_price is not None else "the last close"
        return ExitExplanation("end_of_data", f"still open at the last bar; marked to market at {price}")
    exit_price = trade.exit_price
    entry_bar = _bar_at(bars, trade.entry_time)
    exit_bar = _bar_at(bars, trade.exit_time)
    # Without bars, the filled entry price stands in for the entry close (off by the entry slippage).
    ref = entry_bar.close if entry_bar is not None else trade.entry_price
    ref_name = "entry close" if entry_bar is not None else "entry"

    if stops.stop_loss_pct is not None:
        level = ref * (1 - stops.stop_loss_pct / 100)
        found = _match_below(
            "stop_loss",
            level,
            f"{ref_name} {ref:.2f} x (1 - {stops.stop_loss_pct:g}%)",
            exit_bar,
            exit_price,
            slippage,
        )
        if found:
            return found
    if stops.trailing_pct is not None:
        peak = max(ref, _peak_high(bars, trade))
        level = peak * (1 - stops.trailing_pct / 100)
        found = _match_below(
            "trailing_stop",
            level,
            f"peak {peak:.2f} x (1 - {stops.trailing_pct:g}%)",
            exit_bar,
            exit_price,
            slippage,
        )
        if found:
            return found
    if stops.take_profit_pct is not None:
        level = ref * (1 + stops.take_profit_pct / 100)
        found = _match_above(
            "take_profit",
            level,
            f"{ref_name} {ref:.2f} x (1 + {stops.take_profit_pct:g}%)",
            exit_bar,
            exit_price,
            slippage,
        )
        if found:
            return found
    held = _bars_held(bars, trade)
    if stops.exit_after_bars is not None and held == stops.exit_after_bars:
        rule = f"held {held} bars, the time limit; closed at the close, filled at {exit_price:.2f}"
        return ExitExplanation("time", rule)
    if exit_bar is not None:
        rule = f"exit rule true at close {exit_bar.close:.2f}; filled at {exit_price:.2f}"
        return ExitExplanation("signal", rule)
    return ExitExplanation("signal", f"exit rule true; filled at {exit_price:.2f}")


def _match_below(
    reason: ExitReason, level: float, formula: str, bar: _Bar | None, exit_price: float, slippage: float
) -> ExitExplanation | None:
    if bar is not None and bar.open <= level:
        fill, rule = bar.open, f"open {bar.open:.2f} <= {formula} = {level:.2f} (gap down)"
    elif bar is None or bar.low <= level <= bar.high:
        fill, rule = level, f"low <= {formula} = {level:.2f}"
    else:
        return None
    return _if_filled(reason, rule, fill, exit_price, slippage, sell=True)


def _match_above(
    reason: ExitReason, level: float, formula: str, bar: _Bar | None, exit_price: float, slippage: float
) -> ExitExplanation | None:
    if bar is not None and bar.open >= level:
        fill, rule = bar.open, f"open {bar.open:.2f} >= {formula} = {level:.2f} (gap up)"
    elif bar is None or bar.low <= level <= bar.high:
        fill, rule = level, f"high >= {formula} = {level:.2f}"
    else:
        return None
    return _if_filled(reason, rule, fill, exit_price, slippage, sell=True)


def _if_filled(
    reason: ExitReason, rule: str, fill: float, exit_price: float, slippage: float, *, sell: bool
) -> ExitExplanation | None:
    if _close(exit_price, fill):
        return ExitExplanation(reason, f"{rule}; filled at {exit_price:.2f}")
    slipped = fill * (1 - slippage) if sell else fill * (1 + slippage)
    if slippage > 0 and _close(exit_price, slipped):
        return ExitExplanation(reason, f"{rule}; filled at {exit_price:.2f} after {slippage:.2%} slippage")
    return None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=1e-12)


def _bar_at(bars: pd.DataFrame | None, ts: pd.Timestamp) -> _Bar | None:
    if bars is None or ts not in bars.index:
        return None
    at = bars.index.get_loc(ts)
    if not isinstance(at, int):  # repeated timestamp: the last row wins, as in the market-data cache
        at = int(np.arange(len(bars))[at][-1])

    row = dict(zip(bars.columns, bars.iloc[at].tolist(), strict=True))

    def col(name: str) -> float:
        value = float(row.get(name, math.nan))
        return value if math.isfinite(value) else math.nan

    # Missing fields are filled the way vectorbt fills them before checking stops.
    close = col("close")
    open_ = col("open") if math.isfinite(col("open")) else close
    low = col("low") if math.isfinite(col("low")) else min(open_, close)
    high = col("high") if math.isfinite(col("high")) else max(open_, close)
    return _Bar(open=open_, high=high, low=low, close=close)


def _bars_held(bars: pd.DataFrame | None, trade: Trade) -> int | None:
    """Bars from the entry bar to the exit bar (1: the next bar), counting the symbol's bars with a close."""
    if bars is None or trade.exit_time is None:
        return None
    closes = bars["close"] if "close" in bars.columns else bars.iloc[:, 0]
    window = closes.loc[(bars.index > trade.entry_time) & (bars.index <= trade.exit_time)]
    return int(window.notna().sum())


def _peak_high(bars: pd.DataFrame | None, trade: Trade) -> float:
    """Highest high strictly after the entry bar and strictly before the exit bar (vectorbt updates the
    trailing peak only after checking the stop on each bar)."""
    if bars is None or trade.exit_time is None:
        return -math.inf
    window = bars.loc[(bars.index > trade.entry_time) & (bars.index < trade.exit_time)]
    if window.empty:
        return -math.inf
    highs = window["high"] if "high" in window.columns else window["close"]
    return float(highs.max())
