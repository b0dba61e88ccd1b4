"""Shared helpers of the language tests (plain functions; fixtures are in conftest.py)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

# The example graph of the original design document, verbatim.
ORIGINAL: dict[str, Any] = {
    "nodes": [
        {
            "id": "entry",
            "type": "entry_condition",
            "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]},
        },
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}


@dataclass
class Params:
    """Stands in for app.models.params.ExecutionParams (same attributes)."""

    symbols: list[str] = field(default_factory=lambda: ["SPX"])
    timeframe: str = "1d"
    start_date: date = date(1999, 1, 1)
    end_date: date = date(2018, 12, 31)
    initial_capital: float = 10_000.0
    benchmark: str | None = None
    fees: float = 0.0
    slippage: float = 0.0
    position_sizing: str = "equal"
    position_size: float | None = None
    exposure: float = 1.0
    risk_free_rate: float = 0.0
    stop_slippage: bool = False
    reenter_on_exit_bar: bool = False


def load_sp500() -> pd.DataFrame:
    import arch

    path = Path(arch.__file__).parent / "data" / "sp500" / "sp500.csv.gz"
    frame = pd.read_csv(path, index_col="Date")
    frame.index = pd.to_datetime(frame.index, format="%m/%d/%Y").tz_localize("UTC")
    return frame[["Open", "High", "Low", "Close", "Volume"]].astype(float)


def strip_load_data(code: str) -> str:
    """Remove the top-level ``def load_data`` stub, as the service's harness does."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "load_data":
            assert node.end_lineno is not None
            del lines[node.lineno - 1 : node.end_lineno]
            break
    return "".join(lines)


def run_code(code: str, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"load_data": lambda symbol: frames[symbol]}
    exec(compile(strip_load_data(code), "<strategy>", "exec"), namespace)
    return namespace
