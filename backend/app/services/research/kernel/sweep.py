"""`run_sweep`: the main pass, then everything a person needs to judge it, bounded in size.

What comes back (`SweepOutcome.summary`, plain JSON types): the counts and speed, the top rows, the
heatmap plane, the walk-forward folds with the stitched out-of-sample curve and its efficiency, the
Deflated Sharpe Ratio and the PBO, the cost break-even; and `SweepOutcome.table` (every combination's
values and metrics) for the CSV. A few combinations are simulated a second time to get their curves (the
best row, each fold's choice): cheaper than keeping every curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import MINIMIZED, PassResult, main_pass, objective_index, rf_per_bar, run_groups
from .grid import check_constraints
from .metrics import SHARPE, bar_returns_array
from .overfitting import deflated_sharpe, probability_of_overfitting
from .plan import Market, SweepPlan
from .reduce import cost_breakeven, finite_or_none, heatmap, metric_dict, ranked
from .walk_forward import efficiency, stitch


@dataclass
class SweepOutcome:
    summary: dict[str, Any]
    table_ids: np.ndarray  # combinations run (grid order)
    table_metrics: np.ndarray  # their metrics (METRIC_NAMES order)


def check_plan(plan: SweepPlan, market: Market) -> None:
    objective_index(plan.objective)
    check_constraints(plan.grid, plan.constraints)
    for name in [*plan.signal_params, *plan.cost_params, *(plan.heatmap or ())]:
        if name not in plan.grid.names:
            raise ValueError(f"{name!r} is not a parameter of the grid ({', '.join(plan.grid.names)})")
    if market.bars < 2:
        raise ValueError("a sweep needs at least 2 bars")


def replay(plan: SweepPlan, market: Market, combos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(metrics, equity curves) of a few combinations, simulated again with their curves kept."""
    grid = plan.grid
    if plan.signal_params:
        idx = grid.indices_of(combos)
        keys = np.stack([idx[grid.axis(n)] for n in plan.signal_params], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        values = {n: grid.values[grid.axis(n)][unique[:, j]] for j, n in enumerate(plan.signal_params)}
    else:
        inverse = np.zeros(len(combos), dtype=np.int64)
        values = {}
    metrics, _w, _c, equity, _err = run_groups(
        plan, market, market.filled_close(), combos, values, inverse.reshape(-1).astype(np.int64),
        np.zeros((0, 2), dtype=np.int64), objective_index(plan.objective),
        np.array([0, market.bars], dtype=np.int64), np.full(len(combos), -1, dtype=np.int64),
        np.arange(len(combos), dtype=np.int64), len(combos), 0,
    )  # fmt: skip
    return metrics, equity


def run_sweep(market: Market, plan: SweepPlan) -> SweepOutcome:
    check_plan(plan, market)
    result = main_pass(plan, market)
    obj = objective_index(plan.objective)
    sign = -1.0 if plan.objective in MINIMIZED else 1.0
    ran = result.valid & (result.errors == 0)
    score = np.where(ran, result.metrics[:, obj] * sign, np.nan)
    top = ranked(score, plan.top_n)
    grid = plan.grid
    summary: dict[str, Any] = {
        "combinations": grid.size,
        "evaluated": result.evaluated,
        "skipped": int((~result.valid).sum()),
        "failed": int((result.valid & (result.errors != 0)).sum()),
        "objective": plan.objective,
        "elapsed_s": result.elapsed_s,
        "combos_per_s": result.evaluated / result.elapsed_s if result.elapsed_s > 0 else None,
        "params": grid.names,
        "grid": {name: values.tolist() for name, values in zip(grid.names, grid.values, strict=True)},
        "rows": [{"values": grid.row(int(c)), "metrics": metric_dict(result.metrics[c])} for c in top],
        "best": None,
        "heatmap": None,
        "walk_forward": None,
        "overfitting": None,
        "cost_breakeven": None,
    }
    ids = np.flatnonzero(ran)
    if len(top):
        best = int(top[0])
        summary["best"] = {"values": grid.row(best), "metrics": metric_dict(result.metrics[best])}
        if len(grid.names) >= 2:
            axes = plan.heatmap or (grid.names[0], grid.names[1])
            summary["heatmap"] = heatmap(grid, np.where(ran, result.metrics[:, obj], np.nan), best, axes)
        summary["walk_forward"] = _walk_forward(plan, market, result, score)
        summary["overfitting"] = _overfitting(plan, market, result, best, ran)
        if plan.cost_params:
            masked = np.where(ran[:, None], result.metrics, np.nan)
            summary["cost_breakeven"] = cost_breakeven(grid, masked, best, plan.cost_params, plan.objective)
    return SweepOutcome(summary=summary, table_ids=ids, table_metrics=result.metrics[ids])


def _stamp(market: Market, bar: int) -> str:
    return market.index[bar].isoformat()


def _walk_forward(
    plan: SweepPlan, market: Market, result: PassResult, score: np.ndarray
) -> dict[str, Any] | None:
    if plan.walk_forward is None or len(result.windows) == 0:
        return None
    sign = -1.0 if plan.objective in MINIMIZED else 1.0
    folds = result.windows.reshape(-1, 2, 2)
    usable = np.isfinite(score)
    chosen: list[int] = []
    for k in range(len(folds)):
        is_score = np.where(usable, result.window_objective[:, 2 * k] * sign, np.nan)
        if not np.isfinite(is_score).any():
            return None
        chosen.append(int(np.nanargmax(is_score)))
    _m, curves = replay(plan, market, np.array(chosen, dtype=np.int64))
    rows = []
    in_sample: list[float] = []
    out_sample: list[float] = []
    for k, combo in enumerate(chosen):
        (a, b), (c, d) = folds[k]
        ins, oos = (
            float(result.window_objective[combo, 2 * k]),
            float(result.window_objective[combo, 2 * k + 1]),
        )
        in_sample.append(ins)
        out_sample.append(oos)
        rows.append(
            {
                "fold": k + 1,
                "in_sample": [_stamp(market, int(a)), _stamp(market, int(b) - 1)],
                "out_of_sample": [_stamp(market, int(c)), _stamp(market, int(d) - 1)],
                "values": plan.grid.row(combo),
                "in_sample_objective": finite_or_none(ins),
                "out_of_sample_objective": finite_or_none(oos),
            }
        )
    stitched = stitch(list(curves), folds, plan.init_cash)
    start = int(folds[0, 1, 0])
    ratio, used = efficiency(in_sample, out_sample)
    return {
        "method": "walk_forward",
        "folds": rows,
        "in_sample_fraction": plan.walk_forward.in_sample,
        "stitched_equity": [[_stamp(market, start + i), float(v)] for i, v in enumerate(stitched)],
        "efficiency": ratio,
        "efficiency_folds": used,
        "out_of_sample_return": (float(stitched[-1]) / plan.init_cash - 1.0) * 100.0,
    }


def _overfitting(
    plan: SweepPlan, market: Market, result: PassResult, best: int, ran: np.ndarray
) -> dict[str, Any]:
    _m, curves = replay(plan, market, np.array([best], dtype=np.int64))
    returns = bar_returns_array(curves[0], plan.init_cash)
    root = math.sqrt(plan.periods)
    trial_sharpes = np.where(ran, result.metrics[:, SHARPE], np.nan)[ran] / root
    dsr = deflated_sharpe(returns, rf_per_bar(plan), trial_sharpes, plan.periods)
    usable = ran[result.cscv_ids]
    pbo = probability_of_overfitting(result.cscv_sums[usable], result.cscv_counts)
    pbo["sampled_from"] = int(ran.sum())
    return {**dsr, "pbo": pbo}
