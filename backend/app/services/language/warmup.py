"""Representative compiled scripts for the sandbox's warm-up.

Numba compiles one kernel per argument-type signature. The sandbox's zygote runs these scripts once, on
synthetic bars for the symbols `WARM_A` and `WARM_B`, so every signature the compiler can emit (one symbol or
several with shared cash; fixed, trailing or no stops; exit rules or none) is compiled before the first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.services.language.builder import build_spec
from app.services.language.compiler import compile_spec
from app.services.language.nodes import parse_graph


@dataclass
class _WarmParams:
    symbols: list[str] = field(default_factory=lambda: ["WARM_A"])
    timeframe: str = "1d"
    start_date: date = date(2001, 1, 1)
    end_date: date = date(2029, 12, 31)
    initial_capital: float = 10_000.0
    benchmark: str | None = None
    fees: float = 0.001
    slippage: float = 0.001
    position_sizing: str = "equal"
    position_size: float | None = None
    exposure: float = 1.0
    risk_free_rate: float = 0.0


def _node(node_id: str, kind: str, **meta: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "meta": meta}


_GRAPHS: list[tuple[list[dict[str, Any]], _WarmParams]] = [
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
]


def warmup_scripts() -> list[str]:
    return [compile_spec(build_spec(parse_graph({"nodes": nodes}), params)) for nodes, params in _GRAPHS]
