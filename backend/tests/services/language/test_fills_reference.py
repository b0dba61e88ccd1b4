"""The fill settings (`stop_slippage`, `reenter_on_exit_bar`) and the generated order loop, against the
independent simulator and against vectorbt's own ``from_signals``.

* Where both can run, the order loop the compiler writes for fills ``from_signals`` cannot make gives
  vectorbt's orders exactly (1e-9): same rules, two implementations.
* Re-entry on a stop bar and reversals sized as a fraction of the cash match `reference_sim` to 1e-9.
* The defaults are today's behaviour: the reference tests of `test_compiler_reference` run with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, compiler_portfolio, parse_graph
from app.services.language import compiler as compiler_module
from tests.services.language import lang_reference as ref
from tests.services.language.helpers import Params, run_code
from tests.services.language.reference_sim import simulate
from tests.services.language.test_long_short_reference import CASES, Case, _nodes, assert_same, reference

SEED = Case(
    "seed example: 5% below the 20-day SMA, stop 5%, target 7%",
    [
        _nodes("entry_condition", ["Enter on a 5% price drop from the 20-day moving average"]),
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ],
    long_entries=lambda a: ref.le(a["c"], ref.sma(a["c"], 20) * 0.95),
    sl=0.05,
    tp=0.07,
    params={"fees": 0.001, "slippage": 0.001},
    min_short=0,
)


def _spec(case: Case, **params: Any) -> Any:
    return build_spec(parse_graph({"nodes": case.nodes}), Params(**{**case.params, **params}))


def _loop_code(spec: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    for module in (compiler_module, compiler_portfolio):
        monkeypatch.setattr(module, "needs_order_loop", lambda _spec: True)
    code = compile_spec(spec)
    monkeypatch.undo()
    return code


@pytest.mark.parametrize("case", [SEED, *CASES], ids=[c.name for c in [SEED, *CASES]])
def test_order_loop_gives_vectorbts_orders(
    case: Case, warm_vbt: None, sp500: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(case)
    loop_code = _loop_code(spec, monkeypatch)
    assert "REENTER_ON_EXIT_BAR = False" in loop_code and "from_signals(" not in loop_code
    looped = run_code(loop_code, {"SPX": sp500})["portfolio"]
    native = run_code(compile_spec(spec), {"SPX": sp500})["portfolio"]
    a, b = looped.orders.values, native.orders.values
    assert len(a) == len(b) > 20
    np.testing.assert_array_equal(a[["col", "idx", "side"]].tolist(), b[["col", "idx", "side"]].tolist())
    for name in ("size", "price", "fees"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-9)
    np.testing.assert_allclose(looped.value().to_numpy(), native.value().to_numpy(), rtol=1e-9)


def _reentries(sim: Any) -> int:
    return sum(1 for a, b in zip(sim.trades, sim.trades[1:], strict=False) if a.exit_idx == b.entry_idx)


@pytest.mark.parametrize("case", [SEED, CASES[3], CASES[1]], ids=["seed", "atr both sides", "reverse"])
def test_reenter_on_exit_bar_matches_reference(case: Case, warm_vbt: None, sp500: pd.DataFrame) -> None:
    spec = _spec(case, reenter_on_exit_bar=True)
    code = compile_spec(spec)
    assert "REENTER_ON_EXIT_BAR = True" in code
    sim = reference(case, sp500, spec)
    assert_same(run_code(code, {"SPX": sp500})["portfolio"], sim, sp500[["Close"]].to_numpy())
    off = reference(case, sp500, _spec(case))
    assert _reentries(sim) > _reentries(off)  # the setting changed something the reference can see


def test_fractional_reversals_match_reference(warm_vbt: None, sp500: pd.DataFrame) -> None:
    for case in (CASES[1], CASES[2]):
        spec = _spec(case, exposure=0.5)
        code = compile_spec(spec)
        assert "vbt.Portfolio(" in code and "reversals sized as a fraction of the cash" in code
        sim = reference(case, sp500, spec)
        assert_same(run_code(code, {"SPX": sp500})["portfolio"], sim, sp500[["Close"]].to_numpy())
        assert _reentries(sim) >= 10  # reversals (an exit bar that is the next entry bar) happened


def test_several_symbols_share_cash_in_the_loop(warm_vbt: None, sp500: pd.DataFrame) -> None:
    """Two markets, one cash account, re-entry on: the loop against the reference, column order kept."""
    other = sp500 * np.array([0.5, 0.52, 0.48, 0.5, 1.0])  # a second, differently shaped market
    case = CASES[5]  # long and short, ATR trailing stop, 4,000 per entry
    spec = _spec(case, symbols=["SPX", "HALF"], reenter_on_exit_bar=True)
    ns = run_code(compile_spec(spec), {"SPX": sp500, "HALF": other})
    arrays = [
        {k: f[col].to_numpy() for k, col in zip("ohlcv", f.columns, strict=True)} for f in (sp500, other)
    ]

    def stacked(fn: Any) -> np.ndarray:
        return np.column_stack([fn(a) for a in arrays])

    gate = ~np.isnan(stacked(case.sl))
    sim = simulate(
        *(stacked(lambda a, k=k: a[k]) for k in "ohlc"),
        stacked(case.long_entries) & gate, np.zeros_like(gate),
        stacked(case.short_entries) & gate, np.zeros_like(gate),
        sl=stacked(case.sl), trail=True, size=4000.0, size_type="value", fees=spec.fees,
        slippage=spec.slippage, init_cash=spec.initial_capital, stop_slippage=True, reenter_on_exit_bar=True,
    )  # fmt: skip
    assert_same(ns["portfolio"], sim, stacked(lambda a: a["c"]))
    assert {t.col for t in sim.trades} == {0, 1} and _reentries(sim) > 0


def test_seed_example_moves_with_each_setting(warm_vbt: None, sp500: pd.DataFrame) -> None:
    """Each setting changes the seed example's result (why both are stated, not implied)."""
    returns = {}
    for name, params in {
        "default": {},
        "stop_slippage": {"stop_slippage": True},
        "reenter_on_exit_bar": {"reenter_on_exit_bar": True},
    }.items():
        spec = _spec(SEED, **params)
        returns[name] = float(
            run_code(compile_spec(spec), {"SPX": sp500})["portfolio"].total_return().iloc[0]
        )
        sim = reference(SEED, sp500, spec)
        assert returns[name] == pytest.approx(sim.equity[-1] / spec.initial_capital - 1, rel=1e-9)
    print({k: round(v * 100, 2) for k, v in returns.items()})  # the figures for docs/conventions.md
    assert returns["stop_slippage"] < returns["default"]
    assert abs(returns["reenter_on_exit_bar"] - returns["default"]) > 0.01
