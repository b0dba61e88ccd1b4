"""Time exits ("exit after 5 bars", "... or after 10 days, whichever comes first"), long and short, with and
without stops: the compiled code against the independent simulator (`reference_sim`, ``max_bars``) trade by
trade, and the exit reason `time` the results give them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, parse_graph
from app.services.results import build_results
from tests.services.language import lang_reference as ref
from tests.services.language.helpers import Params, run_code
from tests.services.language.test_long_short_reference import Case, _nodes, assert_same, reference


def _rsi2(a: dict[str, np.ndarray]) -> np.ndarray:
    return ref.rsi(a["c"], 2)


CASES = [
    Case(
        "Connors RSI-2, exit after 5 bars",
        [
            _nodes("entry_condition", ["RSI(2) below 10 and close above the 200-day SMA"]),
            _nodes("exit_condition", ["exit after 5 bars"]),
        ],
        long_entries=lambda a: ref.lt(_rsi2(a), 10.0) & ref.gt(a["c"], ref.sma(a["c"], 200)),
        min_short=0,
    ),
    Case(
        "signal or 10 days, whichever comes first, with a 5% stop",
        [
            _nodes("entry_condition", ["RSI(2) below 10"]),
            _nodes("exit_condition", ["exit when RSI(2) > 70 or after 10 days, whichever comes first"]),
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}},
        ],
        long_entries=lambda a: ref.lt(_rsi2(a), 10.0),
        long_exits=lambda a: ref.gt(_rsi2(a), 70.0),
        sl=0.05,
        params={"fees": 0.001, "slippage": 0.0005},
        min_short=0,
    ),
    Case(
        "short side: 3 weeks at most, take-profit 6%",
        [
            _nodes("short_entry_condition", ["RSI(14) crosses above 70"]),
            _nodes("short_exit_condition", ["close the position after 3 weeks"]),
            {"id": "tp", "type": "take_profit", "meta": {"target_pct": 6}},
        ],
        short_entries=lambda a: ref.cross_above(ref.rsi(a["c"]), 70.0),
        tp=0.06,
    ),
    Case(
        "trailing stop and a time limit, re-entry on the exit bar",
        [
            _nodes("entry_condition", ["close above the 50-day SMA"]),
            _nodes("exit_condition", ["time stop of 8 bars"]),
            {"id": "ts", "type": "trailing_stop", "meta": {"trail_pct": 4}},
        ],
        long_entries=lambda a: ref.gt(a["c"], ref.sma(a["c"], 50)),
        sl=0.04,
        trail=True,
        params={"reenter_on_exit_bar": True, "fees": 0.0005},
        min_short=0,
    ),
]


def _trade_lengths(portfolio: Any) -> list[int]:
    records = portfolio.trades.values
    return [int(r["exit_idx"] - r["entry_idx"]) for r in records if int(r["status"]) == 1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_time_exit_matches_the_reference(case: Case, warm_vbt: None, sp500: pd.DataFrame) -> None:
    spec = build_spec(parse_graph({"nodes": case.nodes}), Params(**case.params))
    assert spec.exit_after_bars is not None
    code = compile_spec(spec)
    assert f"MAX_BARS = {spec.exit_after_bars}" in code and "from_signals(" not in code
    portfolio = run_code(code, {"SPX": sp500})["portfolio"]
    assert_same(portfolio, reference(case, sp500, spec), sp500[["Close"]].to_numpy())
    lengths = _trade_lengths(portfolio)
    assert max(lengths) <= spec.exit_after_bars  # the limit holds
    assert sum(n == spec.exit_after_bars for n in lengths) >= 3  # and it is what closes some trades


def test_a_time_limit_is_an_exit_of_its_own_and_belongs_in_an_exit_node() -> None:
    from app.services.language import ImpossibleStrategy

    spec = build_spec(parse_graph({"nodes": CASES[1].nodes}), Params())
    assert [r.understood for r in spec.exits[0].rules] == [
        "RSI(2) > 70, or exit after 10 bars (exit reason: time), whichever comes first"
    ]
    only_time = build_spec(parse_graph({"nodes": CASES[0].nodes}), Params())
    assert only_time.exits == [] and [s.text for s in only_time.stated_exits] == ["exit after 5 bars"]
    misplaced = [_nodes("entry_condition", ["RSI(2) below 10", "exit after 5 bars"])]
    with pytest.raises(ImpossibleStrategy, match="belongs in an exit node"):
        build_spec(parse_graph({"nodes": misplaced}), Params())
    two = [*CASES[0].nodes, _nodes("exit_condition", ["after 7 days"], "x2")]
    with pytest.raises(ImpossibleStrategy, match="one time limit per strategy"):
        build_spec(parse_graph({"nodes": two}), Params())


def test_trades_closed_by_the_time_limit_have_exit_reason_time(warm_vbt: None, sp500: pd.DataFrame) -> None:
    from app.models.params import ExecutionParams
    from app.services.sandbox.result import TradeRecord

    case = CASES[1]
    spec = build_spec(parse_graph({"nodes": case.nodes}), Params())
    assert spec.stops().exit_after_bars == 10
    portfolio = run_code(compile_spec(spec), {"SPX": sp500})["portfolio"]
    index = sp500.index
    trades = [
        TradeRecord(
            symbol="SPX", entry_time=index[int(r["entry_idx"])].isoformat(),
            exit_time=index[int(r["exit_idx"])].isoformat(), entry_price=float(r["entry_price"]),
            exit_price=float(r["exit_price"]), size=float(r["size"]), pnl=float(r["pnl"]),
            return_pct=float(r["return"]) * 100, fees=0.0, status="closed", direction="long",
        )
        for r in portfolio.trades.values
        if int(r["status"]) == 1
    ]  # fmt: skip
    value = portfolio.value()
    value = value["SPX"] if isinstance(value, pd.DataFrame) else value
    equity = [(ts.isoformat(), float(v)) for ts, v in value.items()]
    params = ExecutionParams(symbols=["SPX"], start_date=index[0].date(), end_date=index[-1].date())
    bars = {"SPX": sp500.rename(columns=str.lower)}
    results = build_results(equity, trades, None, params, stops=spec.stops(), bars_by_symbol=bars)
    reasons = {row.exit_reason for row in results.trades}
    timed = [row for row in results.trades if row.exit_reason == "time"]
    assert {"time", "signal", "stop_loss"} <= reasons
    lengths = [int(r["exit_idx"] - r["entry_idx"]) for r in portfolio.trades.values if int(r["status"]) == 1]
    by_length = list(zip(results.trades, lengths, strict=True))
    assert all(n == 10 for row, n in by_length if row.exit_reason == "time") and len(timed) > 3
    # A trade that lasted 10 bars ended on the time limit, unless its stop filled first on that bar.
    assert {row.exit_reason for row, n in by_length if n == 10} <= {"time", "stop_loss"}
    assert all("held 10 bars, the time limit" in row.exit_rule for row in timed)
