"""Normalised inputs for the results package: the sandbox's records and the run's parameters turned into
the small frozen records below (timestamps parsed to UTC), so every other module works on one shape.

>>> eq = equity_series([("2020-01-02T00:00:00+00:00", 100.0), ("2020-01-03T00:00:00+00:00", 101.0)])
>>> float(eq.iloc[-1]), str(eq.index.tz)
(101.0, 'UTC')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd

from app.core.errors import DomainError
from app.models.params import ExecutionParams
from app.services.sandbox.result import TradeRecord


class InvalidBacktestOutput(DomainError):
    """The backtest produced something the results cannot be computed from (e.g. no equity points)."""

    status_code = 422


def to_utc(value: str | datetime | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_index(values: pd.DatetimeIndex | Sequence[str]) -> pd.DatetimeIndex:
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
    status: Literal["open", "closed"]
    direction: Literal["long", "short"]

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


def equity_series(points: Sequence[tuple[str, float]]) -> pd.Series:
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


def trade_records(trades: Sequence[TradeRecord]) -> list[Trade]:
    """The sandbox's records (finite numbers, checked at the trust boundary) with parsed timestamps."""
    # Every timestamp parsed in one call (a Timestamp per string costs ~35 us each).
    stamps = utc_index([t.entry_time for t in trades] + [t.exit_time or t.entry_time for t in trades])
    entries, exits = list(stamps[: len(trades)]), list(stamps[len(trades) :])  # boxed in one pass
    out = [
        Trade(
            symbol=t.symbol,
            entry_time=entries[i],
            exit_time=exits[i] if t.exit_time is not None else None,
            entry_price=t.entry_price,
            exit_price=t.exit_price,
            size=t.size,
            pnl=t.pnl,
            return_pct=t.return_pct,
            fees=t.fees,
            status=t.status,
            direction=t.direction,
        )
        for i, t in enumerate(trades)
    ]
    return sorted(out, key=lambda tr: (tr.entry_time, tr.symbol))


def run_params(params: ExecutionParams) -> RunParams:
    return RunParams(
        initial_capital=params.initial_capital,
        risk_free_rate=params.risk_free_rate,
        timeframe=params.timeframe,
        fees=params.fees,
        slippage=params.slippage,
        symbols=tuple(params.symbols),
    )
