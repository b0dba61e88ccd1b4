"""Sanity gates: plain sentences in ``metrics["warnings"]`` when a result should not be trusted as is.

Each gate looks at the run from a trader's side: no trades (and the likely cause), too few trades, a window
too short for annualised figures, an account that went to zero, and a profit that rests on one trade.

>>> best = _Best(900.0, "SPX", "2020-03-02", "2020-06-01")
>>> print(one_trade_warning(net_profit=1000.0, best=best, capital=10_000))
One trade made 90% of the profit (SPX, 2020-03-02 to 2020-06-01, +900.00): the result depends on it; \
without it the total return would be +1.00%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from app.services.results._inputs import Trade
from app.services.sandbox.result import SignalCounts

MIN_TRADES = 10


@dataclass(frozen=True)
class _Best:
    pnl: float
    symbol: str
    entry: str
    exit: str


def sanity_warnings(
    *,
    equity: pd.Series,
    trades: Sequence[Trade],
    signals: SignalCounts | None,
    capital: float,
    years: float,
    bars_by_symbol: Mapping[str, pd.DataFrame] | None,
) -> list[str]:
    warnings: list[str] = []
    if not trades:
        warnings.append(zero_trades_warning(signals, capital, bars_by_symbol))
    elif len(trades) < MIN_TRADES:
        warnings.append(
            f"Only {len(trades)} trade{'s' if len(trades) > 1 else ''}: too few to tell skill from luck; "
            f"read the win rate and profit factor as anecdotes (at least {MIN_TRADES} are needed)."
        )
    if years < 1:
        months = years * 12
        warnings.append(
            f"The window covers only about {months:.1f} months ({len(equity)} bars): annualised figures "
            "(CAGR, volatility, Sharpe, Sortino, Calmar, alpha) extrapolate a short period and are "
            "unreliable."
        )
    broke = equity[equity <= 0]
    if len(broke):
        warnings.append(
            f"The equity fell to zero on {broke.index[0].date().isoformat()}: the strategy lost all its "
            "capital, and the figures after that date mean nothing."
        )
    if trades:
        net = float(equity.iloc[-1]) - capital
        best = max(trades, key=lambda t: t.pnl)
        exit_day = best.exit_time.date().isoformat() if best.exit_time is not None else "the end (still open)"
        text = one_trade_warning(
            net_profit=net,
            best=_Best(best.pnl, best.symbol, best.entry_time.date().isoformat(), exit_day),
            capital=capital,
        )
        if text:
            warnings.append(text)
    return warnings


def zero_trades_warning(
    signals: SignalCounts | None, capital: float, bars_by_symbol: Mapping[str, pd.DataFrame] | None
) -> str:
    """Why no trade happened, as far as the inputs tell."""
    entries = signals.entries if signals is not None else None
    if entries == 0:
        return (
            "No trades: the entry rule was never true in this window. Loosen its conditions, check the "
            "indicator periods against the window length, or test a longer period."
        )
    cheapest = _cheapest_unit(bars_by_symbol)
    if cheapest is not None and capital < cheapest[1]:
        return (
            f"No trades: the capital {capital:,.2f} is below the price of one unit of {cheapest[0]} "
            f"(its lowest close in the window was {cheapest[1]:,.2f}). Raise the capital or pick a cheaper "
            "asset."
        )
    if entries is not None:
        n = entries
        return (
            f"No trades although the entry rule was true on {n} bar{'s' if n != 1 else ''}: its conditions "
            "were never true together with the rest of the strategy (for example the exit rule fired on the "
            "same bars, which cancels the entry)."
        )
    return "No trades were made in this window, so there is nothing to measure about the rules' edge."


def one_trade_warning(*, net_profit: float, best: _Best, capital: float) -> str | None:
    """Warn when the best trade made more than half of a positive net profit."""
    if net_profit <= 0 or best.pnl <= 0.5 * net_profit:
        return None
    share = best.pnl / net_profit * 100
    without = (net_profit - best.pnl) / capital * 100
    return (
        f"One trade made {share:.0f}% of the profit ({best.symbol}, {best.entry} to {best.exit}, "
        f"{best.pnl:+,.2f}): the result depends on it; without it the total return would be {without:+.2f}%."
    )


def _cheapest_unit(bars_by_symbol: Mapping[str, pd.DataFrame] | None) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for symbol, frame in (bars_by_symbol or {}).items():
        if frame is None or "close" not in frame.columns or frame.empty:
            continue
        low = float(frame["close"].min())
        if best is None or low < best[1]:
            best = (symbol, low)
    return best
