"""Long/short strategies, ATR stops and the fill settings: the compiled VectorBT code against the independent
simulator (`reference_sim`) on real S&P 500 and NASDAQ bars, trade by trade and bar by bar to 1e-9.

Signals for the reference come from `lang_reference`'s own indicator loops, never from the compiled code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, parse_graph
from tests.services.language import lang_reference as ref
from tests.services.language.helpers import Params, run_code
from tests.services.language.reference_sim import Sim, simulate

Arrays = dict[str, np.ndarray]
SignalFn = Callable[[Arrays], np.ndarray]
REL = 1e-9


def _nodes(kind: str, rules: list[str], node_id: str | None = None) -> dict[str, Any]:
    return {"id": node_id or kind, "type": kind, "meta": {"rules": rules}}


@dataclass
class Case:
    name: str
    nodes: list[dict[str, Any]]
    long_entries: SignalFn | None = None
    long_exits: SignalFn | None = None
    short_entries: SignalFn | None = None
    short_exits: SignalFn | None = None
    sl: Callable[[Arrays], Any] | float | None = None
    tp: Callable[[Arrays], Any] | float | None = None
    trail: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    min_short: int = 3


def _rsi(a: Arrays) -> np.ndarray:
    return ref.rsi(a["c"])


def _sma(n: int) -> SignalFn:
    return lambda a: ref.sma(a["c"], n)


def _atr_fraction(k: float, n: int = 14) -> Callable[[Arrays], np.ndarray]:
    return lambda a: k * ref.atr(a["h"], a["l"], a["c"], n) / a["c"]


CASES = [
    Case(
        "short only: RSI overbought, stop 5%",
        [
            _nodes("short_entry_condition", ["RSI(14) crosses above 70"]),
            _nodes("short_exit_condition", ["RSI(14) below 50"]),
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}},
        ],
        short_entries=lambda a: ref.cross_above(_rsi(a), 70.0),
        short_exits=lambda a: ref.lt(_rsi(a), 50.0),
        sl=0.05,
    ),
    Case(
        "stop and reverse on SMA crosses, 8% trailing stop",
        [
            _nodes("entry_condition", ["SMA(20) crosses above SMA(50)"]),
            _nodes("short_entry_condition", ["SMA(20) crosses below SMA(50)"]),
            {"id": "ts", "type": "trailing_stop", "meta": {"trail_pct": 8}},
        ],
        long_entries=lambda a: ref.cross_above(_sma(20)(a), _sma(50)(a)),
        short_entries=lambda a: ref.cross_below(_sma(20)(a), _sma(50)(a)),
        sl=0.08,
        trail=True,
    ),
    Case(
        "symmetric RSI: each exit is the other side's entry, take-profit 6%",
        [
            _nodes("entry_condition", ["RSI(14) below 30"]),
            _nodes("exit_condition", ["RSI(14) above 70"]),
            _nodes("short_entry_condition", ["RSI(14) above 70"]),
            _nodes("short_exit_condition", ["RSI(14) below 30"]),
            {"id": "tp", "type": "take_profit", "meta": {"target_pct": 6}},
        ],
        long_entries=lambda a: ref.lt(_rsi(a), 30.0),
        long_exits=lambda a: ref.gt(_rsi(a), 70.0),
        short_entries=lambda a: ref.gt(_rsi(a), 70.0),
        short_exits=lambda a: ref.lt(_rsi(a), 30.0),
        tp=0.06,
    ),
    Case(
        "ATR stop and ATR target, both sides, fees and slippage",
        [
            _nodes("entry_condition", ["close crosses above the 50-day SMA"]),
            _nodes("short_entry_condition", ["close crosses below the 50-day SMA"]),
            {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 2}},
            {"id": "tp", "type": "take_profit", "meta": {"target_atr": 3, "atr_period": 20}},
        ],
        long_entries=lambda a: ref.cross_above(a["c"], _sma(50)(a)),
        short_entries=lambda a: ref.cross_below(a["c"], _sma(50)(a)),
        sl=_atr_fraction(2.0),
        tp=_atr_fraction(3.0, 20),
        params={"fees": 0.001, "slippage": 0.0005},
    ),
    Case(
        "ATR trailing stop, long only, slippage on stop fills",
        [
            _nodes("entry_condition", ["close crosses above the 20-day high"]),
            {"id": "ts", "type": "trailing_stop", "meta": {"trail_atr": 3, "atr_period": 10}},
        ],
        # "crosses above the 20-day high" reads as close > Highest high(20): each new high is a new break
        long_entries=lambda a: ref.gt(a["c"], ref.prev_highest(a["h"], 20)),
        sl=_atr_fraction(3.0, 10),
        trail=True,
        params={"fees": 0.0005, "slippage": 0.001, "stop_slippage": True},
        min_short=0,
    ),
    Case(
        "short ATR trailing stop with slippage on stop fills, fixed amount per entry",
        [
            _nodes("entry_condition", ["SMA(10) crosses above SMA(30)"]),
            _nodes("short_entry_condition", ["SMA(10) crosses below SMA(30)"]),
            {"id": "ts", "type": "trailing_stop", "meta": {"trail_atr": 2.5}},
            {"id": "size", "type": "position_sizing", "meta": {"method": "fixed_amount", "value": 4000}},
        ],
        long_entries=lambda a: ref.cross_above(_sma(10)(a), _sma(30)(a)),
        short_entries=lambda a: ref.cross_below(_sma(10)(a), _sma(30)(a)),
        sl=_atr_fraction(2.5),
        trail=True,
        params={"fees": 0.001, "slippage": 0.001, "stop_slippage": True},
    ),
]


def _arrays(frame: pd.DataFrame) -> Arrays:
    return {k: frame[col].to_numpy(dtype=float) for k, col in zip("ohlcv", frame.columns, strict=True)}


def _sizing(spec: Any) -> tuple[float, str]:
    if spec.sizing.method == "fixed_amount":
        return float(spec.sizing.value), "value"
    fraction = spec.exposure * (spec.sizing.value or 1.0)
    return fraction, "percent"


def _column(fn: SignalFn | None, a: Arrays) -> np.ndarray:
    n = len(a["c"])
    return (np.zeros(n, dtype=bool) if fn is None else fn(a).astype(bool))[:, None]


def _value(x: Callable[[Arrays], Any] | float | None, a: Arrays) -> Any:
    if x is None:
        return np.nan
    return x(a)[:, None] if callable(x) else x


def reference(case: Case, frame: pd.DataFrame, spec: Any) -> Sim:
    a = _arrays(frame)
    size, size_type = _sizing(spec)
    atr_gate = np.ones(len(a["c"]), dtype=bool)
    for fn in (case.sl, case.tp):
        if callable(fn):
            atr_gate &= ~np.isnan(fn(a))  # no entry before the stop's ATR exists
    return simulate(
        a["o"][:, None],
        a["h"][:, None],
        a["l"][:, None],
        a["c"][:, None],
        _column(case.long_entries, a) & atr_gate[:, None],
        _column(case.long_exits, a),
        _column(case.short_entries, a) & atr_gate[:, None],
        _column(case.short_exits, a),
        sl=_value(case.sl, a),
        tp=_value(case.tp, a),
        trail=case.trail,
        size=size,
        size_type=size_type,
        fees=spec.fees,
        slippage=spec.slippage,
        init_cash=spec.initial_capital,
        stop_slippage=spec.stop_slippage,
        reenter_on_exit_bar=spec.reenter_on_exit_bar,
        max_bars=spec.exit_after_bars,
    )


def assert_same(portfolio: Any, sim: Sim, closes: np.ndarray) -> None:
    """Trades (bars, direction, prices, size, pnl) and the equity of every bar, to 1e-9."""
    records = portfolio.trades.values  # vectorbt lists trades symbol by symbol
    trades = sorted(sim.trades, key=lambda t: t.col)
    assert len(records) == len(trades)
    for rec, t in zip(records, trades, strict=True):
        closed = int(rec["status"]) == 1
        got_dir = "long" if int(rec["direction"]) == 0 else "short"
        assert (int(rec["col"]), got_dir, int(rec["entry_idx"])) == (t.col, t.direction, t.entry_idx)
        assert (int(rec["exit_idx"]) if closed else None) == t.exit_idx
        assert rec["entry_price"] == pytest.approx(t.entry_price, rel=REL)
        if closed:
            assert rec["exit_price"] == pytest.approx(t.exit_price, rel=REL)
        assert rec["size"] == pytest.approx(t.size, rel=REL)
        assert rec["pnl"] == pytest.approx(t.pnl(float(closes[-1, t.col])), rel=REL, abs=1e-7)
    value = portfolio.value()
    got = (value.sum(axis=1) if isinstance(value, pd.DataFrame) else value).to_numpy()
    np.testing.assert_allclose(got, sim.equity, rtol=REL, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compiled_long_short_matches_reference(case: Case, warm_vbt: None, sp500: pd.DataFrame) -> None:
    spec = build_spec(parse_graph({"nodes": case.nodes}), Params(**case.params))
    ns = run_code(compile_spec(spec), {"SPX": sp500})
    sim = reference(case, sp500, spec)
    assert_same(ns["portfolio"], sim, sp500[["Close"]].to_numpy())
    shorts = sum(t.direction == "short" for t in sim.trades)
    assert shorts >= case.min_short and len(sim.trades) - shorts >= (0 if case.long_entries is None else 3)
