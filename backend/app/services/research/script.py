"""A sweep request -> the sweep script the sandbox runs (`compile_sweep`), from what `design` learnt.

Combinations that cannot be valid are skipped and counted: when one rule compares or crosses two
indicators of the same kind whose settings each move with their own parameter, the defaults say which is
the shorter one (``SMA({fast=10}) crosses above SMA({slow=50})``: fast < slow) and combinations that swap
or equal them are not run.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from app.services.language.compiler_sweep import MovingLeaf, SweepSource, compile_sweep
from app.services.language.history import history_bars, history_start
from app.services.language.indicators import Indicator
from app.services.language.spec import Const, Cross, IndicatorRef, Rule, RuleSet, StrategySpec
from app.services.research.design import Design, Leaf, _get


def moving_leaves(design: Design) -> list[MovingLeaf]:
    out = []
    for leaf in design.leaves:
        value_lists = [design.grid[p] for p in leaf.params]
        table: dict[tuple[float, ...], Any] = {}
        for combo in itertools.product(*value_lists):
            values = {p: float(v) for p, v in zip(leaf.params, combo, strict=True)}
            key = tuple(float(v) for v in combo)
            if leaf.kind == "indicator":
                table[key] = design.indicator_of(leaf, values)
            else:
                table[key] = design.const_of(leaf, values[leaf.params[0]])
        out.append(MovingLeaf(leaf.side, leaf.rule_set, leaf.rule, leaf.path, leaf.kind, leaf.params, table))
    return out


def order_constraints(design: Design) -> list[tuple[str, str, str]]:
    """``(a, "<", b)`` for each comparison of two same-kind indicators moved by parameters a and b."""
    by_place: dict[tuple[Any, ...], Leaf] = {
        (leaf.side, leaf.rule_set, leaf.rule, leaf.path): leaf for leaf in design.leaves
    }
    out: list[tuple[str, str, str]] = []
    for leaf in design.leaves:
        if leaf.kind != "indicator" or len(leaf.params) != 1 or not leaf.path or leaf.path[-1] != "left":
            continue
        other = by_place.get((leaf.side, leaf.rule_set, leaf.rule, (*leaf.path[:-1], "right")))
        if (
            other is None
            or other.kind != "indicator"
            or len(other.params) != 1
            or other.params == leaf.params
        ):
            continue
        cond = design.default_condition(leaf)
        left = _get(cond, leaf.path)["indicator"]
        right = _get(cond, other.path)["indicator"]
        if left["kind"] != right["kind"] or left["period"] == right["period"]:
            continue
        a, b = leaf.params[0], other.params[0]
        out.append((a, "<", b) if left["period"] < right["period"] else (b, "<", a))
    return out


def sweep_warmup(design: Design, leaves: Sequence[MovingLeaf]) -> tuple[int, str]:
    """One warm-up for every combination: the default spec plus a cross on every moving indicator's
    every value (so the longest window and the slowest seed of any combination are counted)."""
    spec = design.default
    extra: list[Rule] = []
    for leaf in leaves:
        if leaf.kind != "indicator":
            continue
        lag = int(_get(design.default_condition(_as_leaf(design, leaf)), leaf.path).get("lag", 0))
        for ind in leaf.table.values():
            assert isinstance(ind, Indicator)
            cond = Cross(left=IndicatorRef(indicator=ind, lag=lag), direction="above", right=Const(value=0))
            extra.append(Rule(text="warm-up", condition=cond))
    if extra:
        spec = spec.model_copy(update={"entries": [*spec.entries, RuleSet(node_id="warm-up", rules=extra)]})
    bars = history_bars(spec)
    start = history_start(spec) - timedelta(days=0)
    return bars, start.isoformat()


def _as_leaf(design: Design, moving: MovingLeaf) -> Leaf:
    return next(
        leaf
        for leaf in design.leaves
        if (leaf.side, leaf.rule_set, leaf.rule, leaf.path)
        == (moving.side, moving.rule_set, moving.rule, moving.path)
    )


def sweep_source(
    design: Design,
    objective: str,
    walk_forward: tuple[int, float] | None,
    heatmap: tuple[str, str] | None,
) -> SweepSource:
    leaves = moving_leaves(design)
    bars, start = sweep_warmup(design, leaves)
    costs = [name for name in design.grid if name in ("params.fees", "params.slippage")]
    return SweepSource(
        grid={k: [float(v) for v in vs] for k, vs in design.grid.items()},
        signal_params=design.signal_params,
        leaves=leaves,
        exec_fields=design.exec_fields,
        constraints=order_constraints(design),
        objective=objective,
        walk_forward=walk_forward,
        heatmap=heatmap,
        warmup_bars=bars,
        data_start=start,
        cost_params=costs,
    )


def sweep_script(
    design: Design, objective: str, walk_forward: tuple[int, float] | None, heatmap: tuple[str, str] | None
) -> str:
    spec: StrategySpec = design.default
    return compile_sweep(spec, sweep_source(design, objective, walk_forward, heatmap))
