"""From the table to what a person reads: the top rows, the heatmap plane, the cost that kills the edge."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .grid import Grid
from .metrics import METRIC_NAMES

# Objectives whose sign says "made money" (Calmar follows the CAGR's sign); others use total return for the
# cost break-even.
SIGNED_OBJECTIVES = frozenset(
    {"sharpe_ratio", "sortino_ratio", "calmar_ratio", "total_return", "cagr", "expectancy"}
)


def finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


DECIMALS = 6  # as the host rounds a normal run's metrics (results/metrics.py), so rows compare equal


def metric_dict(row: np.ndarray) -> dict[str, float | None]:
    out = {name: _rounded(v) for name, v in zip(METRIC_NAMES, row, strict=True)}
    out["trades"] = None if out["trades"] is None else float(int(out["trades"]))
    return out


def _rounded(value: float) -> float | None:
    return round(float(value), DECIMALS) if math.isfinite(value) else None


def ranked(score: np.ndarray, top_n: int) -> np.ndarray:
    """Ids of the ``top_n`` best scores (higher is better), NaN never, ties by grid order."""
    ids = np.flatnonzero(np.isfinite(score))
    if len(ids) == 0:
        return ids
    order = np.lexsort((ids, -score[ids]))
    return ids[order[:top_n]]


def heatmap(grid: Grid, objective: np.ndarray, best: int, axes: tuple[str, str]) -> dict[str, Any]:
    """The objective over two parameters, every other parameter at the best row's value.
    ``z[i][j]`` is at ``y_values[i]``, ``x_values[j]`` (Plotly's order); None where not run."""
    x_name, y_name = axes
    ax, ay = grid.axis(x_name), grid.axis(y_name)
    base = list(np.unravel_index(best, grid.shape))
    nx, ny = grid.shape[ax], grid.shape[ay]
    index: list[Any] = [np.full((ny, nx), b, dtype=np.int64) for b in base]
    index[ax] = np.broadcast_to(np.arange(nx), (ny, nx))
    index[ay] = np.broadcast_to(np.arange(ny)[:, None], (ny, nx))
    plane = objective[np.ravel_multi_index(tuple(index), grid.shape)]
    return {
        "x": x_name,
        "y": y_name,
        "x_values": grid.values[ax].tolist(),
        "y_values": grid.values[ay].tolist(),
        "z": [[finite_or_none(v) for v in row] for row in plane],
        "fixed": {n: float(grid.values[a][base[a]]) for a, n in enumerate(grid.names) if a not in (ax, ay)},
    }


def cost_breakeven(
    grid: Grid, metrics: np.ndarray, best: int, cost_params: Sequence[str], objective: str
) -> list[dict[str, Any]]:
    """Per swept cost, the cost at which the objective (or the total return, for an objective without a
    sign) turns non-positive along the line through the best row, by linear interpolation between the
    swept values."""
    judged = objective if objective in SIGNED_OBJECTIVES else "total_return"
    column = metrics[:, METRIC_NAMES.index(judged)]
    base = list(np.unravel_index(best, grid.shape))
    out = []
    for name in cost_params:
        axis = grid.axis(name)
        order = np.argsort(grid.values[axis])
        costs = grid.values[axis][order]
        index = [np.full(len(order), b, dtype=np.int64) for b in base]
        index[axis] = order
        line = column[np.ravel_multi_index(tuple(index), grid.shape)]
        out.append({"param": name, "objective": judged, **_crossing(costs, line)})
    return out


def _crossing(costs: np.ndarray, line: np.ndarray) -> dict[str, Any]:
    points = [(float(c), float(v)) for c, v in zip(costs, line, strict=True) if math.isfinite(v)]
    curve = [[c, v] for c, v in points]
    if not points:
        return {"breakeven": None, "curve": curve, "note": "no swept cost produced a result"}
    if points[0][1] <= 0:
        return {
            "breakeven": points[0][0],
            "curve": curve,
            "note": "the objective is already non-positive at the smallest swept cost",
        }
    for (c0, v0), (c1, v1) in itertools.pairwise(points):
        if v1 <= 0:
            return {"breakeven": c0 + v0 * (c1 - c0) / (v0 - v1), "curve": curve, "note": None}
    return {
        "breakeven": None,
        "curve": curve,
        "note": f"the objective stays positive up to the largest swept cost ({points[-1][0]:g})",
    }
