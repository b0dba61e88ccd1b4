"""The compiled VectorBT code against independent numpy backtests on real S&P 500 bars (1999-2018).

Each case: a node graph, and a function computing the same entries/exits from lang_reference's own
indicator loops. Trades (entry/exit bars) must be identical and total return equal to 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, parse_graph
from tests.services.language import lang_reference as ref
from tests.services.language.helpers import Params

Arrays = dict[str, np.ndarray]
Signals = tuple[np.ndarray, np.ndarray | None]


@dataclass
class Case:
    name: str
    entry: list[str]
    exit: list[str]
    signals: Callable[[Arrays], Signals]
    sl: float | None = None
    tp: float | None = None
    trail: float | None = None
    exit_combine: str = "all"


def _original(a: Arrays) -> Signals:
    return ref.le(a["c"], ref.sma(a["c"], 20) * 0.95), None


CASES = [
    Case(
        "original example",
        ["Enter on a 5% price drop from the 20-day moving average"],
        [],
        _original,
        sl=5,
        tp=7,
    ),
    Case(
        "MA crossover",
        ["10-day MA crosses above 30-day MA"],
        ["10-day MA crosses below 30-day MA"],
        lambda a: (
            ref.cross_above(ref.sma(a["c"], 10), ref.sma(a["c"], 30)),
            ref.cross_below(ref.sma(a["c"], 10), ref.sma(a["c"], 30)),
        ),
    ),
    Case(
        "EMA golden/death cross + trailing stop",
        ["golden cross of the 20 and 50-day EMA"],
        ["death cross of the 20 and 50-day EMA"],
        lambda a: (
            ref.cross_above(ref.ema(a["c"], 20), ref.ema(a["c"], 50)),
            ref.cross_below(ref.ema(a["c"], 20), ref.ema(a["c"], 50)),
        ),
        trail=8,
    ),
    Case(
        "RSI thresholds + stop",
        ["RSI(14) crosses back above 30"],
        ["RSI is above 70"],
        lambda a: (ref.cross_above(ref.rsi(a["c"]), 30.0), ref.gt(ref.rsi(a["c"]), 70.0)),
        sl=5,
    ),
    Case(
        "stochastic + take-profit",
        ["stochastic %K crosses above %D and %K below 20"],
        ["stochastic %K above 80"],
        lambda a: (
            ref.cross_above(*ref.stochastic(a["h"], a["l"], a["c"]))
            & ref.lt(ref.stochastic(a["h"], a["l"], a["c"])[0], 20.0),
            ref.gt(ref.stochastic(a["h"], a["l"], a["c"])[0], 80.0),
        ),
        tp=5,
    ),
    Case(
        "MACD vs signal and zero line",
        ["MACD crosses above the signal line and MACD is below zero"],
        ["MACD histogram turns negative"],
        lambda a: (
            ref.cross_above(ref.macd(a["c"])[0], ref.macd(a["c"])[1]) & ref.lt(ref.macd(a["c"])[0], 0.0),
            ref.cross_below(ref.macd(a["c"])[2], 0.0),
        ),
    ),
    Case(
        "Bollinger touch and break + stop",
        ["price touches the lower Bollinger band"],
        ["close breaks above the middle Bollinger band"],
        lambda a: (
            ref.le(a["l"], ref.bollinger(a["c"])[2]),
            ref.cross_above(a["c"], ref.bollinger(a["c"])[1]),
        ),
        sl=7,
    ),
    Case(
        "channel breakout + trailing stop",
        ["close above the 20-day high"],
        ["close below the 10-day low"],
        lambda a: (ref.gt(a["c"], ref.prev_highest(a["h"], 20)), ref.lt(a["c"], ref.prev_lowest(a["l"], 10))),
        trail=10,
    ),
    Case(
        "percent change over N days, stops only",
        ["price drops 5% in 3 days"],
        [],
        lambda a: (ref.le(ref.roc(a["c"], 3), -5.0), None),
        sl=6,
        tp=4,
    ),
    Case(
        "volume vs average and a one-day move",
        ["volume is 1.5 times its 20-day average and close rises 1% in a day"],
        ["close crosses below the 10-day EMA"],
        lambda a: (
            ref.ge(a["v"], 1.5 * ref.sma(a["v"], 20)) & ref.ge(ref.roc(a["c"], 1), 1.0),
            ref.cross_below(a["c"], ref.ema(a["c"], 10)),
        ),
    ),
    Case(
        "ATR band",
        ["close is 2 ATR below the 20-day SMA"],
        ["close crosses above the 20-day SMA"],
        lambda a: (
            ref.le(a["c"], ref.sma(a["c"], 20) - 2 * ref.atr(a["h"], a["l"], a["c"])),
            ref.cross_above(a["c"], ref.sma(a["c"], 20)),
        ),
        sl=10,
    ),
    Case(
        "ATR move, ADX and WMA",
        ["ADX(14) above 20 and WMA(10) crosses above WMA(30)", "not close drops more than 2 ATR in a day"],
        ["WMA(10) crosses below WMA(30)"],
        lambda a: (
            ref.gt(ref.adx(a["h"], a["l"], a["c"]), 20.0)
            & ref.cross_above(ref.wma(a["c"], 10), ref.wma(a["c"], 30))
            & ~ref.gt(ref.lag(a["c"]) - a["c"], 2 * ref.atr(a["h"], a["l"], a["c"])),
            ref.cross_below(ref.wma(a["c"], 10), ref.wma(a["c"], 30)),
        ),
    ),
    Case(
        "CCI and ROC with or",
        ["CCI(20) crosses above -100"],
        ["ROC(10) above 5", "CCI above 200"],
        lambda a: (
            ref.cross_above(ref.cci(a["h"], a["l"], a["c"]), -100.0),
            ref.gt(ref.roc(a["c"], 10), 5.0) | ref.gt(ref.cci(a["h"], a["l"], a["c"]), 200.0),
        ),
        exit_combine="any",
        tp=10,
    ),
]


def _graph(case: Case) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "entry", "type": "entry_condition", "meta": {"rules": case.entry}}]
    if case.exit:
        nodes.append(
            {
                "id": "exit",
                "type": "exit_condition",
                "meta": {"rules": case.exit, "combine": case.exit_combine},
            }
        )
    if case.sl is not None:
        nodes.append({"id": "sl", "type": "stop_loss", "meta": {"stop_pct": case.sl}})
    if case.tp is not None:
        nodes.append({"id": "tp", "type": "take_profit", "meta": {"target_pct": case.tp}})
    if case.trail is not None:
        nodes.append({"id": "trail", "type": "trailing_stop", "meta": {"trail_pct": case.trail}})
    return {"nodes": nodes}


def _arrays(frame: pd.DataFrame) -> Arrays:
    return {
        "o": frame["Open"].to_numpy(),
        "h": frame["High"].to_numpy(),
        "l": frame["Low"].to_numpy(),
        "c": frame["Close"].to_numpy(),
        "v": frame["Volume"].to_numpy(),
    }


def _vbt_trades(portfolio: Any) -> list[tuple[int, int | None]]:
    records = portfolio.trades.values  # structured array: entry_idx, exit_idx, status (1 = closed)
    out: list[tuple[int, int | None]] = []
    for rec in records:
        closed = int(rec["status"]) == 1
        out.append((int(rec["entry_idx"]), int(rec["exit_idx"]) if closed else None))
    return out


def _check(case: Case, runner: Callable[[str], dict[str, Any]], sp500: pd.DataFrame, params: Params) -> None:
    spec = build_spec(parse_graph(_graph(case)), params)
    ns = runner(compile_spec(spec))
    a = _arrays(sp500)
    entries, exits = case.signals(a)
    exits = np.zeros(len(entries), dtype=bool) if exits is None else exits
    # The compiled signals themselves match the reference signals bar for bar.
    np.testing.assert_array_equal(ns["entries"]["SPX"].to_numpy(), entries)
    np.testing.assert_array_equal(ns["exits"]["SPX"].to_numpy(), exits)
    fraction = params.exposure * (params.position_size or 1.0)
    expected = ref.backtest(
        a["o"],
        a["h"],
        a["l"],
        a["c"],
        entries,
        exits,
        sl=(case.sl or case.trail or 0) / 100 or None,
        tp=(case.tp or 0) / 100 or None,
        trail=case.trail is not None,
        fees=params.fees,
        slippage=params.slippage,
        fraction=fraction,
        init_cash=params.initial_capital,
    )
    portfolio = ns["portfolio"]
    assert len(expected.trades) >= 3, f"{case.name}: too few trades to test anything"
    assert _vbt_trades(portfolio) == expected.trades
    assert float(portfolio.total_return().iloc[0]) == pytest.approx(expected.total_return, abs=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_compiled_strategy_matches_reference(case: Case, runner: Any, sp500: pd.DataFrame) -> None:
    _check(case, runner, sp500, Params())


def test_fee_and_slippage_model_matches_reference(runner: Any, sp500: pd.DataFrame) -> None:
    params = Params(fees=0.001, slippage=0.0005, position_sizing="fixed_fraction", position_size=0.5)
    _check(CASES[0], runner, sp500, params)
    _check(CASES[3], runner, sp500, params)
