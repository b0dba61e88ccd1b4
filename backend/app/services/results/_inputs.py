"""Normalised inputs for the results package.

The sandbox, market-data and language packages each have their own pydantic models; this package does not
import them. It reads the few fields it needs from plain dicts *or* objects with those attributes (duck
typing), and turns them into the small frozen records below, so every other module works on one shape.

>>> eq = equity_series([("2020-01-02T00:00:00+00:00", 100.0), ("2020-01-03T00:00:00+00:00", 101.0)])
>>> float(eq.iloc[-1]), str(eq.index.tz)
(101.0, 'UTC')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from app.core.errors import DomainError


class InvalidBacktestOutput(DomainError):
    """The backtest produced something the results cannot be computed from (e.g. no equity points)."""

    status_code = 422


def read(obj: Any, name: str, default: Any = None) -> Any:
    """`obj[name]` for mappings, `obj.name` otherwise; `default` when absent."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def to_utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_index(values: Any) -> pd.DatetimeIndex:
    """Timestamps (strings, datetimes, an index) -> UTC DatetimeIndex; naive values are taken as UTC."""
    if isinstance(values, pd.DatetimeIndex):
        return values.tz_localize("UTC") if values.tz is None else values.tz_convert("UTC")
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601"))


def iso(ts: pd.Timestamp) -> str:
    return ts.isoformat()


@dataclass(frozen=True)
class Trade:
    symbol: str
    entry_time: pd.Timestamp
    exit_time: pd.Timestamp | None
    entry_price: float
    exit_price: float | None
    size: float
    pnl: float
    return_pct: float
    fees: float
    status: str
    direction: str

    @property
    def is_open(self) -> bool:
        return self.status != "closed" or self.exit_time is None


@dataclass(frozen=True)
class RunParams:
    initial_capital: float
    risk_free_rate: float
    timeframe: str
    fees: float
    slippage: float
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class Stops:
    """Percent units, as in the strategy spec: 5.0 means 5 %."""

    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    trailing_pct: float | None = None
    exit_after_bars: int | None = None  # the time limit, in bars after the entry bar


def equity_series(points: Sequence[Sequence[Any]]) -> pd.Series:
    """`[(iso, value), ...]` -> float Series on a sorted UTC DatetimeIndex."""
    if not points:
        raise InvalidBacktestOutput("the backtest produced no equity points, so there is nothing to measure")
    index = utc_index([p[0] for p in points]).rename("timestamp")
    values = [float(p[1]) for p in points]
    series = pd.Series(values, index=index, dtype="float64", name="equity")
    if not series.index.is_monotonic_increasing:
        series = series.sort_index()
    if series.index.has_duplicates:
        repeats = int(index.duplicated().sum())
        raise InvalidBacktestOutput("the equity curve has repeated timestamps", rows=repeats)
    if not all(math.isfinite(v) for v in values):
        raise InvalidBacktestOutput("the equity curve contains NaN or infinite values")
    return series


def trade_records(trades: Sequence[Any]) -> list[Trade]:
    out: list[Trade] = []
    for number, t in enumerate(trades, start=1):
        exit_time = read(t, "exit_time")
        exit_price = read(t, "exit_price")
        trade = Trade(
            symbol=str(read(t, "symbol", "")),
            entry_time=to_utc(read(t, "entry_time")),
            exit_time=to_utc(exit_time) if exit_time is not None else None,
            entry_price=float(read(t, "entry_price")),
            exit_price=float(exit_price) if exit_price is not None else None,
            size=float(read(t, "size", 0.0)),
            pnl=float(read(t, "pnl", 0.0)),
            return_pct=float(read(t, "return_pct", 0.0)),
            fees=float(read(t, "fees", 0.0) or 0.0),
            status=str(read(t, "status", "closed")).lower(),
            direction=str(read(t, "direction", "long")).lower(),
        )
        numbers = (trade.entry_price, trade.size, trade.pnl, trade.return_pct, trade.fees, trade.exit_price)
        if not all(x is None or math.isfinite(x) for x in numbers):
            raise InvalidBacktestOutput(f"trade {number} ({trade.symbol}) has a NaN or infinite number")
        out.append(trade)
    return sorted(out, key=lambda tr: (tr.entry_time, tr.symbol))


def run_params(params: Any) -> RunParams:
    capital = read(params, "initial_capital")
    if capital is None or not float(capital) > 0:
        raise InvalidBacktestOutput("initial_capital must be a positive number", value=capital)
    return RunParams(
        initial_capital=float(capital),
        risk_free_rate=float(read(params, "risk_free_rate", 0.0) or 0.0),
        timeframe=str(read(params, "timeframe", "1d")),
        fees=float(read(params, "fees", 0.0) or 0.0),
        slippage=float(read(params, "slippage", 0.0) or 0.0),
        symbols=tuple(str(s) for s in (read(params, "symbols", ()) or ())),
    )


def stop_settings(stops: Any) -> Stops:
    def pct(name: str) -> float | None:
        value = read(stops, name)
        return float(value) if value is not None and float(value) > 0 else None

    bars = read(stops, "exit_after_bars")
    return Stops(
        pct("stop_loss_pct"), pct("take_profit_pct"), pct("trailing_pct"), int(bars) if bars else None
    )
