"""Helpers for the results tests: S&P 500 daily bars (1999-2018) from the `arch` package, run
through vectorbt itself with an MA crossover and stops, turned into the sandbox's output shapes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.models.params import ExecutionParams
from app.models.stops import Distance, Stops
from app.services.sandbox.result import SignalCounts, TradeRecord

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[4] / ".cache" / "numba"))

CAPITAL = 10_000.0
FEES = 0.001
SLIPPAGE = 0.001


@dataclass
class Run:
    """One vectorbt backtest and the inputs `build_results` receives for it."""

    pf: Any  # vbt.Portfolio
    bars: pd.DataFrame
    equity: list[tuple[str, float]]
    trades: list[TradeRecord]
    signals: SignalCounts
    params: ExecutionParams
    stops: Stops


def params(**values: Any) -> ExecutionParams:
    """Execution parameters with no costs unless given (the results read capital, rate, timeframe)."""
    return ExecutionParams.model_validate({"fees": 0.0, "slippage": 0.0, **values})


def trade(**values: Any) -> TradeRecord:
    """A closed long trade with no fees unless told otherwise."""
    return TradeRecord.model_validate({"fees": 0.0, "status": "closed", "direction": "long", **values})


def load_sp500() -> pd.DataFrame:
    from arch.data import sp500

    raw = sp500.load()
    frame = raw[["Open", "High", "Low", "Close", "Volume"]].rename(columns=str.lower).astype("float64")
    frame.index = pd.DatetimeIndex(raw.index).tz_localize("UTC").rename("timestamp")
    return frame


def trades_from_vbt(pf: Any, symbol: str) -> list[TradeRecord]:
    """`portfolio.trades.records_readable` -> the sandbox's TradeRecords (open trades: no exit)."""
    out = []
    for _, row in pf.trades.records_readable.iterrows():
        closed = row["Status"] == "Closed"
        out.append(
            trade(
                **{
                    "symbol": symbol,
                    "entry_time": row["Entry Timestamp"].isoformat(),
                    "exit_time": row["Exit Timestamp"].isoformat() if closed else None,
                    "entry_price": float(row["Avg Entry Price"]),
                    "exit_price": float(row["Avg Exit Price"]) if closed else None,
                    "size": float(row["Size"]),
                    "pnl": float(row["PnL"]),
                    "return_pct": float(row["Return"]) * 100.0,
                    "fees": float(row["Entry Fees"] + row["Exit Fees"]),
                    "status": "closed" if closed else "open",
                    "direction": str(row["Direction"]).lower(),
                }
            )
        )
    return out


def run_vbt(
    bars: pd.DataFrame,
    entries: pd.Series,
    exits: pd.Series,
    *,
    symbol: str = "SPX",
    sl: float | None = None,
    tp: float | None = None,
    trail: float | None = None,
    capital: float = CAPITAL,
    fees: float = FEES,
    slippage: float = SLIPPAGE,
    risk_free_rate: float = 0.0,
    short: bool = False,
    stop_slippage: bool = False,
    short_entries: pd.Series | None = None,
    sl_atr: tuple[float, pd.Series] | None = None,
) -> Run:
    """Run `Portfolio.from_signals` the way the generated code does; stops in percent (5.0 = 5 %).
    ``short``: the signals open and close shorts; ``short_entries``: shorts next to the long ``entries``
    (an opposite entry reverses); ``sl_atr``: ``(k, atr)``, a stop-loss ``k x atr / close`` per bar."""
    import vectorbt as vbt

    stop_pct = trail if trail is not None else sl
    kwargs: dict[str, Any] = {}
    if stop_pct is not None:
        kwargs["sl_stop"] = stop_pct / 100
        kwargs["sl_trail"] = trail is not None
    if sl_atr is not None:
        kwargs["sl_stop"] = sl_atr[0] * sl_atr[1] / bars["close"]
    if tp is not None:
        kwargs["tp_stop"] = tp / 100
    if short_entries is not None:
        kwargs.update(short_entries=short_entries, short_exits=False, upon_opposite_entry="reverse")
        kwargs.update(size=np.inf, size_type="value")
    elif short:
        kwargs["direction"] = "shortonly"
    pf = vbt.Portfolio.from_signals(
        bars["close"],
        entries,
        exits,
        stop_exit_price="stopmarket" if stop_slippage else "stoplimit",
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        init_cash=capital,
        fees=fees,
        slippage=slippage,
        freq="1D",
        **kwargs,
    )
    value = pf.value()
    return Run(
        pf=pf,
        bars=bars,
        equity=[(ts.isoformat(), float(v)) for ts, v in value.items()],
        trades=trades_from_vbt(pf, symbol),
        signals=SignalCounts(entries=int(entries.sum()), exits=int(exits.sum())),
        params=params(
            initial_capital=capital,
            risk_free_rate=risk_free_rate,
            timeframe="1d",
            fees=fees,
            slippage=slippage,
            symbols=[symbol],
        ),
        stops=Stops(
            stop_loss=(
                Distance(fraction=sl / 100)
                if sl is not None and trail is None
                else Distance(atr_multiple=sl_atr[0], atr_period=14)
                if sl_atr is not None
                else None
            ),
            take_profit=Distance(fraction=tp / 100) if tp is not None else None,
            trailing=Distance(fraction=trail / 100) if trail is not None else None,
        ),
    )


def ma_signals(close: pd.Series, fast: int = 20, slow: int = 50) -> tuple[pd.Series, pd.Series]:
    f, s = close.rolling(fast).mean(), close.rolling(slow).mean()
    above = f > s
    prev = above.shift(1, fill_value=False)
    return above & ~prev & s.notna(), ~above & prev & s.notna()
