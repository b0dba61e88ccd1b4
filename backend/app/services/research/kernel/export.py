"""A sweep's outcome as the sandbox hands it to the host: the bounded summary (plain JSON) and the full
table, compressed, for the CSV.

The table: one row per combination that ran, its id (grid order) and the CSV's metrics as float32
(``TABLE_COLUMNS``), each array zlib-compressed and base64-encoded. A million combinations fit in
about 30 MB.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np

from .metrics import METRIC_NAMES
from .sweep import SweepOutcome

TABLE_COLUMNS = (
    "total_return", "cagr", "sharpe_ratio", "sortino_ratio", "calmar_ratio", "max_drawdown", "volatility",
    "win_rate", "trades", "profit_factor", "expectancy", "exposure",
)  # fmt: skip


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(array).tobytes(), 6)).decode("ascii")


def export(outcome: SweepOutcome) -> dict[str, Any]:
    columns = [METRIC_NAMES.index(name) for name in TABLE_COLUMNS]
    return {
        **outcome.summary,
        "table": {
            "rows": len(outcome.table_ids),
            "columns": list(TABLE_COLUMNS),
            "ids": _pack(outcome.table_ids.astype("<i8")),
            "metrics": _pack(outcome.table_metrics[:, columns].astype("<f4")),
        },
    }


def unpack_table(table: dict[str, Any], max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, metrics) from an exported table, checked for shape (``max_rows``: the grid's size)."""
    rows = int(table["rows"])
    if not 0 <= rows <= max_rows:
        raise ValueError(f"the sweep table has {rows} rows, more than the grid's {max_rows}")
    width = len(TABLE_COLUMNS)
    ids_raw = zlib.decompress(base64.b64decode(table["ids"]), bufsize=rows * 8 + 1)
    metrics_raw = zlib.decompress(base64.b64decode(table["metrics"]), bufsize=rows * width * 4 + 1)
    if len(ids_raw) != rows * 8 or len(metrics_raw) != rows * width * 4:
        raise ValueError("the sweep table's arrays do not match its row count")
    ids = np.frombuffer(ids_raw, dtype="<i8")
    if rows and (ids.min() < 0 or ids.max() >= max_rows):
        raise ValueError("the sweep table names a combination outside the grid")
    return ids, np.frombuffer(metrics_raw, dtype="<f4").reshape(rows, width)
