"""Representative compiled scripts for the sandbox's warm-up.

Numba compiles one kernel per argument-type signature. The sandbox's zygote runs these scripts once, on
synthetic bars for the symbols `WARM_A` and `WARM_B`, so every signature the compiler can emit (one symbol or
several with shared cash; fixed, trailing or no stops; exit rules or none; long and short with stops in ATR
multiples) is compiled before the first run.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any, cast

from app.models.params import ExecutionParams
from app.services.language.builder import ExecutionParamsLike, build_spec
from app.services.language.compiler import compile_spec
from app.services.language.nodes import parse_graph


def _node(node_id: str, kind: str, **meta: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "meta": meta}


# Synthetic bars cover 2000-2030; the scripts' window sits inside them.
_WarmParams = partial(
    ExecutionParams, symbols=["WARM_A"], start_date=date(2001, 1, 1), end_date=date(2029, 12, 31)
)

_GRAPHS: list[tuple[list[dict[str, Any]], ExecutionParams]] = [
    (
        [
            _node("e", "entry_condition", rules=["close is 5% below the 20-day SMA"]),
            _node("tp", "take_profit", target_pct=7.0),
            _node("sl", "stop_loss", stop_pct=5.0),
        ],
        _WarmParams(),
    ),
    (
        [
            _node("e", "entry_condition", rules=["10-day SMA crosses above 30-day SMA"]),
            _node("x", "exit_condition", rules=["RSI(14) above 70"]),
            _node("ts", "trailing_stop", trail_pct=4.0),
        ],
        _WarmParams(position_sizing="fixed_fraction", position_size=0.5),
    ),
    (
        [
            _node("e", "entry_condition", rules=["close crosses above the 50 EMA"]),
            _node("x", "exit_condition", rules=["close crosses below the 50 EMA"]),
        ],
        _WarmParams(symbols=["WARM_A", "WARM_B"]),
    ),
    (
        [
            _node("e", "entry_condition", rules=["RSI(14) below 30"]),
            _node("tp", "take_profit", target_pct=10.0),
            _node("sl", "stop_loss", stop_pct=3.0),
        ],
        _WarmParams(symbols=["WARM_A", "WARM_B"], position_sizing="fixed_amount", position_size=1000.0),
    ),
    (  # long and short, stops in ATR multiples: the call with both signal pairs and stop frames
        [
            _node("e", "entry_condition", rules=["close crosses above the 20-day SMA"]),
            _node("s", "short_entry_condition", rules=["close crosses below the 20-day SMA"]),
            _node("sl", "stop_loss", stop_atr=2.0),
            _node("tp", "take_profit", target_pct=8.0),
        ],
        _WarmParams(stop_slippage=True),
    ),
    (
        [
            _node("e", "entry_condition", rules=["RSI(14) below 30"]),
            _node("x", "exit_condition", rules=["RSI(14) above 50"]),
            _node("s", "short_entry_condition", rules=["RSI(14) above 70"]),
            _node("ts", "trailing_stop", trail_atr=3.0),
        ],
        _WarmParams(symbols=["WARM_A", "WARM_B"]),
    ),
]


def warmup_scripts() -> list[str]:
    return [
        compile_spec(build_spec(parse_graph({"nodes": nodes}), cast(ExecutionParamsLike, params)))
        for nodes, params in _GRAPHS
    ]
