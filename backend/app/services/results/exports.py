"""CSV text for the exports, at full resolution (the API's series are downsampled; these are not).

>>> ts = "2024-01-02T00:00:00+00:00"
>>> print(equity_csv([[ts, 100.0]], None, [[ts, 0.0]]), end="")
timestamp,equity,benchmark,drawdown_pct
2024-01-02T00:00:00+00:00,100.0,,0.0
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from app.models.backtest import TradeRow

# Spreadsheets read a cell starting with one of these as a formula (uploads refuse them; exports quote them).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The API's trade fields, in their order.
TRADE_COLUMNS: tuple[str, ...] = tuple(TradeRow.model_fields)


def trades_csv(trades: Sequence[TradeRow]) -> str:
    """One row per trade, columns `TRADE_COLUMNS`; empty cells for missing values (an open trade's exit)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for t in trades:
        writer.writerow([_cell(getattr(t, col)) for col in TRADE_COLUMNS])
    return buf.getvalue()


def equity_csv(
    equity: Sequence[Sequence[Any]],
    benchmark: Sequence[Sequence[Any]] | None,
    drawdown: Sequence[Sequence[Any]] | None,
) -> str:
    """``timestamp,equity,benchmark,drawdown_pct``, one row per equity point; the benchmark and drawdown
    are matched by timestamp (blank where the benchmark has no value, e.g. before its data starts)."""
    bench = {str(p[0]): p[1] for p in benchmark or ()}
    dd = {str(p[0]): p[1] for p in drawdown or ()}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("timestamp", "equity", "benchmark", "drawdown_pct"))
    for ts, value in equity:
        key = str(ts)
        writer.writerow([key, _cell(value), _cell(bench.get(key)), _cell(dd.get(key))])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest round-trip text: re-reading gives the same float
    if isinstance(value, str) and value.startswith(FORMULA_START):
        # A run names its own columns (a trade's symbol) and exit text: a spreadsheet would run such a cell as
        # a formula; the quote makes it text. Numbers are not strings here, so `-1.5` stays a number.
        return "'" + value
    return str(value)
