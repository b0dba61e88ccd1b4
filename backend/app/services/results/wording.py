"""Metrics in words for the run log: units, a sensible precision, and "pp" for a difference of percents.

>>> headline({"total_return": -3.2149, "sharpe_ratio": 0.0123, "max_drawdown": -18.5, "trades": 15,
...           "vs_benchmark": -124.4731, "win_rate": 40.0})
'total return -3.21%, Sharpe 0.01, max drawdown -18.50%, win rate 40.0%, 15 trades, vs benchmark -124.47 pp'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_FORMATS: tuple[tuple[str, Callable[[float], str]], ...] = (
    ("total_return", lambda v: f"total return {v:+.2f}%"),
    ("cagr", lambda v: f"CAGR {v:+.2f}%"),
    ("sharpe_ratio", lambda v: f"Sharpe {v:.2f}"),
    ("max_drawdown", lambda v: f"max drawdown {v:.2f}%"),
    ("win_rate", lambda v: f"win rate {v:.1f}%"),
    ("trades", lambda v: f"{int(v):,} trade{'' if int(v) == 1 else 's'}"),
    ("vs_benchmark", lambda v: f"vs benchmark {v:+.2f} pp"),
)


def headline(metrics: Mapping[str, Any], keys: tuple[str, ...] | None = None) -> str:
    """The metrics present (in a fixed order), each in its unit; missing or non-numeric ones left out."""
    parts = []
    for key, fmt in _FORMATS:
        value = metrics.get(key)
        if (keys is None or key in keys) and isinstance(value, int | float) and value == value:
            parts.append(fmt(float(value)))
    return ", ".join(parts)
