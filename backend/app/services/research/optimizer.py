"""The optimization agent's judgement, offline and deterministic: a robust pick, not the single peak.

Over the whole table (every combination that ran, on the grid), the combinations "near the best" are
those whose objective is within ``NEAR`` of the best, measured against the spread between the best and
the median: ``objective >= best - NEAR x max(|best|, best - median)``. Near-best combinations that are
neighbours on the grid (one step apart on one parameter) form regions; the pick is the centre of the
largest region (the member closest to the region's centroid, each axis scaled to its number of values), so
a small change of any parameter stays near the best. Its reasons quote only numbers from the table, the
walk-forward and the overfitting statistics.

With a key the optimization agent (`app.agents.crew.CrewAdvisor`, the fourth CrewAI agent) rewrites the
reasons in its words; the pick itself stays this module's. Its text is checked like the run summary (every
number it cites must be one of `sweep_facts`), and a text that fails, or an LLM that does not answer,
leaves the deterministic reasons in place with a warning.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import JsonValue
from scipy import ndimage

from app.core.errors import DomainError
from app.services.pipeline import Events, JsonObject, SweepAdvisor
from app.services.research.kernel.engine import MINIMIZED
from app.services.research.kernel.export import TABLE_COLUMNS, unpack_table

NEAR = 0.1


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def robust_pick(summary: dict[str, Any], table: dict[str, Any]) -> dict[str, Any] | None:
    grid: dict[str, list[float]] = summary["grid"]
    names = list(grid)
    shape = tuple(len(grid[n]) for n in names)
    size = int(np.prod(shape))
    objective = summary["objective"]
    if objective not in TABLE_COLUMNS:
        return None
    ids, metrics = unpack_table(table, size)
    if len(ids) == 0:
        return None
    sign = -1.0 if objective in MINIMIZED else 1.0
    score = np.full(size, np.nan)
    score[ids] = metrics[:, TABLE_COLUMNS.index(objective)].astype(np.float64) * sign
    finite = np.isfinite(score)
    if not finite.any():
        return None
    best = float(np.nanmax(score))
    median = float(np.nanmedian(score))
    threshold = best - NEAR * max(abs(best), best - median)
    near = (np.where(finite, score, -np.inf) >= threshold).reshape(shape)
    labels, count = ndimage.label(near)
    sizes = np.bincount(labels.ravel())[1:]
    region = int(np.argmax(sizes)) + 1
    members = np.argwhere(labels == region)
    scale = np.array([max(n - 1, 1) for n in shape], dtype=float)
    centroid = members.mean(axis=0) / scale
    centre = members[int(np.argmin(((members / scale - centroid) ** 2).sum(axis=1)))]
    pick_id = int(np.ravel_multi_index(tuple(centre), shape))
    values = {n: float(grid[n][i]) for n, i in zip(names, centre, strict=True)}
    region_scores = score.reshape(shape)[labels == region] * sign
    pick_score = float(score[pick_id]) * sign
    pick_row = metrics[int(np.searchsorted(ids, pick_id))]
    pick_metrics = {c: _finite(float(v)) for c, v in zip(TABLE_COLUMNS, pick_row, strict=True)}
    best_values = summary["best"]["values"] if summary.get("best") else None
    return {
        "values": values,
        "objective": objective,
        "objective_value": pick_score,
        "metrics": pick_metrics,
        "best_values": best_values,
        "best_objective": best * sign,
        "region_size": int(sizes[region - 1]),
        "regions": int(count),
        "region_objective_min": float(np.min(region_scores)),
        "region_objective_max": float(np.max(region_scores)),
        "region_objective_mean": float(np.mean(region_scores)),
        "threshold": threshold * sign,
        "reasons": _reasons(summary, values, pick_score, best * sign, region_scores, int(sizes[region - 1])),
        "method": "deterministic",
        "warning": None,
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _reasons(
    summary: dict[str, Any],
    values: dict[str, float],
    pick_score: float,
    best_score: float,
    region: np.ndarray,
    region_size: int,
) -> list[str]:
    objective = summary["objective"]
    chosen = ", ".join(f"{k} = {_fmt(v)}" for k, v in values.items())
    out = [
        f"Pick {chosen}: the centre of the largest region of {region_size} neighbouring combinations whose "
        f"{objective} stays near the best ({_fmt(float(region.min()))} to {_fmt(float(region.max()))}, "
        f"mean {_fmt(float(region.mean()))}).",
        f"Its {objective} is {_fmt(pick_score)} against {_fmt(best_score)} for the single best row; a small "
        "change of any parameter keeps it in that region, which the peak alone does not promise.",
    ]
    wf = summary.get("walk_forward") or {}
    if wf.get("efficiency") is not None:
        out.append(
            f"Walk-forward efficiency is {_fmt(wf['efficiency'])} over {wf.get('efficiency_folds')} folds "
            "(out-of-sample objective over in-sample): "
            + (
                "the edge mostly carried over."
                if wf["efficiency"] >= 0.5
                else "the edge did not carry over well."
            )
        )
    over = summary.get("overfitting") or {}
    dsr = over.get("deflated_sharpe_ratio")
    pbo = (over.get("pbo") or {}).get("pbo")
    if dsr is not None and pbo is not None and math.isfinite(dsr):
        verdict = (
            "unlikely to be luck" if dsr >= 0.95 and pbo < 0.5 else "possibly luck: treat it with caution"
        )
        out.append(
            f"Deflated Sharpe Ratio {_fmt(dsr)} after {over.get('trials')} trials and PBO {_fmt(pbo)}: "
            f"{verdict}."
        )
    return out


TOP_ROWS_IN_FACTS = 10


def sweep_facts(summary: dict[str, Any], pick: dict[str, Any]) -> JsonObject:
    """What the optimization agent may cite: the pick, the best rows of the table, the walk-forward per
    fold and the overfitting statistics, as the sweep's result holds them."""
    wf = summary.get("walk_forward") or {}
    over = summary.get("overfitting") or {}
    pbo = over.get("pbo") or {}
    facts: dict[str, Any] = {
        "objective": summary["objective"],
        "combinations": summary["combinations"],
        "evaluated": summary["evaluated"],
        "skipped": summary["skipped"],
        "pick": {k: v for k, v in pick.items() if k not in ("reasons", "method", "warning", "objective")},
        "top_rows": summary["rows"][:TOP_ROWS_IN_FACTS],
        "walk_forward": {
            "efficiency": wf.get("efficiency"),
            "efficiency_folds": wf.get("efficiency_folds"),
            "out_of_sample_return": wf.get("out_of_sample_return"),
            "folds": [
                {k: f.get(k) for k in ("fold", "values", "in_sample_objective", "out_of_sample_objective")}
                for f in wf.get("folds") or []
            ],
        }
        if wf
        else None,
        "overfitting": {
            "deflated_sharpe_ratio": over.get("deflated_sharpe_ratio"),
            "trials": over.get("trials"),
            "pbo": pbo.get("pbo"),
            "pbo_partitions": pbo.get("partitions"),
        }
        if over
        else None,
    }
    out = _json(facts)
    assert isinstance(out, dict)
    return out


def _json(value: Any) -> JsonValue:
    """Plain JSON (NaN and infinities as null), so the facts read the same to the LLM and the check."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


async def explain(
    pick: dict[str, Any], summary: dict[str, Any], advisor: SweepAdvisor | None, events: Events
) -> dict[str, Any]:
    """The pick with the optimization agent's explanation (LLM mode) or its deterministic reasons: an
    answer citing a number that is not in the facts, or no answer, keeps the reasons and says why."""
    if advisor is None:
        return pick
    facts = sweep_facts(summary, pick)
    try:
        text = await advisor.explain(facts, pick["reasons"], events)
    except (ValueError, DomainError) as exc:
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        warning = (
            f"the optimization agent's explanation was not used ({reason}); these are the deterministic "
            "reasons"
        )
        await events.log(f"Optimizer: {warning}")
        return {**pick, "warning": warning}
    return {**pick, "reasons": [text], "deterministic_reasons": pick["reasons"], "method": "llm"}
