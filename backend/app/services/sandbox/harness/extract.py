"""What a run returns: the equity curve, round trips and signal counts of the script's `portfolio`.

What a run hands the host is bounded here, inside the sandbox, so the host's share of any run stays small:
at most `max_points` equity points (a longer curve is thinned evenly, keeping the first and last bars and
the peak and trough of its deepest drawdown) and the first `max_trades` round trips; `points_total` and
`trades_total` say how many there were, and the host turns the difference into a warning.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from .timestamps import iso_times


def kept_points(values: Any, max_points: int) -> Any:
    """Indices of at most ``max_points`` of ``values`` (an equity curve): every k-th bar, so the returns
    between kept bars are the curve's own compounded returns, plus the first and last bar and the peak and
    trough of the deepest drawdown, so the total return and the max drawdown stay exact.

    >>> import numpy as np
    >>> kept_points(np.array([5.0, 6, 9, 3, 4, 8, 2, 6, 7, 8]), 7).tolist()  # every 3rd; peak 2, trough 6
    [0, 2, 3, 6, 9]
    """
    import numpy as np

    n = len(values)
    if n <= max_points:
        return np.arange(n)
    peak = np.maximum.accumulate(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(peak > 0, values / peak - 1.0, 0.0)
    trough = int(np.argmin(np.nan_to_num(depth, nan=0.0)))
    peak_at = int(np.flatnonzero(values[: trough + 1] == peak[trough])[-1]) if trough else 0
    step = math.ceil(n / (max_points - 3))
    return np.unique(np.r_[np.arange(0, n, step), peak_at, trough, n - 1])


def extract(
    namespace: dict[str, Any],
    symbols: list[str],
    *,
    max_points: int = 20_000,
    max_trades: int = 5_000,
) -> dict[str, Any]:
    """The portfolio's equity curve, round trips and signal counts, read from vectorbt's record arrays
    (`records_readable` builds a labelled DataFrame first: ~10x slower for the same values), bounded as
    the module says."""
    import sys

    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    research = sys.modules.get("stratcrew_research")  # the sweep kernel, when the sandbox preloads it
    if research is not None and isinstance(namespace.get("sweep"), research.SweepOutcome):
        return {
            "equity": [],
            "trades": [],
            "signals": {"entries": 0, "exits": 0},
            "sweep": research.export(namespace["sweep"]),
        }

    portfolio = namespace.get("portfolio")
    if not isinstance(portfolio, vbt.Portfolio):
        raise TypeError(
            "the script must leave a module-level `portfolio` that is a vbt.Portfolio, "
            f"got {type(portfolio).__name__}"
        )
    value = portfolio.value()
    if isinstance(value, pd.DataFrame):
        value = value.sum(axis=1)
    values = value.to_numpy(dtype="float64")
    keep = kept_points(values, max_points)
    equity = list(zip(iso_times(value.index[keep]), values[keep].tolist(), strict=True))

    round_trips = portfolio.trades
    stamps = iso_times(round_trips.wrapper.index)
    columns = [str(c) for c in round_trips.wrapper.columns]
    records = round_trips.values
    # The earliest `max_trades` across columns, in the records' own order (column, then time).
    first = np.sort(np.argsort(records["entry_idx"], kind="stable")[:max_trades])
    trades = []
    for row in records[first].tolist():  # tuples in trade_dt's field order, as plain Python numbers
        (_id, col, size, entry_idx, entry_price, entry_fees, exit_idx, exit_price, exit_fees,
         pnl, ret, direction, status, _parent) = row  # fmt: skip
        is_open = status == 0  # TradeStatus.Open
        column = columns[col]
        trades.append(
            {
                "symbol": column if column in symbols or len(symbols) != 1 else symbols[0],
                "entry_time": stamps[entry_idx],
                "exit_time": None if is_open else stamps[exit_idx],
                "entry_price": entry_price,
                "exit_price": None if is_open else exit_price,
                "size": size,
                "pnl": pnl,
                "return_pct": ret * 100.0,
                "fees": entry_fees + exit_fees,
                "status": "open" if is_open else "closed",
                "direction": "long" if direction == 0 else "short",  # TradeDirection.Long == 0
            }
        )
    signals = {}
    for name in ("entries", "exits"):  # long and short signals together (`short_entries`, `short_exits`)
        signals[name] = 0
        for variable in (name, f"short_{name}"):
            with contextlib.suppress(TypeError, ValueError):
                signals[name] += int(np.asarray(namespace.get(variable, False), dtype=bool).sum())
    return {
        "equity": equity,
        "trades": trades,
        "signals": signals,
        "points_total": len(values),
        "trades_total": len(records),
    }
