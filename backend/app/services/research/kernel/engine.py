"""The sweep's main pass: every valid combination simulated once, in blocks, on a few threads.

Combinations that share their signal parameters share one signal computation: the grid is walked as
(signal tuple, execution tuple) pairs, a block holds a few signal tuples and all their execution tuples (or
a slice of them when there are many), and ``plan.signals`` is called once per block with the block's
distinct signal tuples. The simulator (`block.run_block`) releases the GIL, so ``plan.threads`` workers
overlap one block's signal computation with another's simulation. Memory is the per-combination table
(a row of metrics each) plus a handful of blocks in flight, whatever the grid's size.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import progress
from .block import run_block
from .metrics import METRIC_NAMES, N_METRICS
from .plan import Market, SweepPlan, resolve_fields, writable
from .walk_forward import fold_windows

OBJECTIVES = (
    "sharpe_ratio", "sortino_ratio", "calmar_ratio", "total_return", "cagr", "max_drawdown", "volatility",
    "win_rate", "profit_factor", "expectancy",
)  # fmt: skip
MINIMIZED = frozenset({"volatility"})


@dataclass
class PassResult:
    """The table of one sweep: per combination (in grid order) its metrics, its objective on each
    walk-forward window, and the CSCV sums of the combinations sampled for the PBO."""

    metrics: np.ndarray  # (combinations, N_METRICS); NaN rows for combinations not run
    windows: np.ndarray  # (W, 2) bar offsets of the walk-forward windows (IS, OOS per fold)
    window_objective: np.ndarray  # (combinations, W)
    cscv_ids: np.ndarray  # combinations sampled for the PBO
    cscv_sums: np.ndarray  # (sampled, partitions, 2)
    cscv_counts: np.ndarray  # bars per partition
    valid: np.ndarray  # bool per combination: passed the constraints
    errors: np.ndarray  # int per combination: simulator error code (0 = fine)
    evaluated: int
    elapsed_s: float


@dataclass
class _Layout:
    """The grid seen as (signal tuple, execution tuple) pairs."""

    flat: np.ndarray  # (n_signal, n_exec) combination ids
    ok: np.ndarray  # (n_signal, n_exec) valid
    signal_shape: tuple[int, ...]


def objective_index(objective: str) -> int:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    return METRIC_NAMES.index(objective)


def _layout(plan: SweepPlan, valid: np.ndarray) -> _Layout:
    grid = plan.grid
    signal_axes = [grid.axis(n) for n in plan.signal_params]
    exec_axes = [grid.axis(n) for n in plan.exec_params()]
    signal_shape = tuple(grid.shape[a] for a in signal_axes)
    n_signal = int(np.prod(signal_shape, dtype=np.int64))
    flat = np.arange(grid.size, dtype=np.int64).reshape(grid.shape).transpose(signal_axes + exec_axes)
    flat = flat.reshape(n_signal, -1)
    return _Layout(flat=flat, ok=valid[flat], signal_shape=signal_shape)


def _work(layout: _Layout, block_size: int) -> Iterator[tuple[slice, slice]]:
    n_signal, n_exec = layout.flat.shape
    per_block = max(1, block_size // max(n_exec, 1))
    exec_step = min(n_exec, block_size)
    for s0 in range(0, n_signal, per_block):
        for e0 in range(0, n_exec, exec_step):
            yield slice(s0, min(s0 + per_block, n_signal)), slice(e0, min(e0 + exec_step, n_exec))


def signal_arrays(
    plan: SweepPlan, market: Market, values: dict[str, np.ndarray], tuples: int
) -> list[np.ndarray]:
    """Long entries, long exits, short entries, short exits for ``tuples`` signal tuples, each
    ``(tuples x symbols, bars)`` booleans: one row per combination (and symbol), the simulator's layout."""
    raw = plan.signals(values)
    unknown = set(raw) - {"entries", "exits", "short_entries", "short_exits"}
    if unknown:
        raise ValueError(f"signals returned unknown key(s) {sorted(unknown)}")
    shape = (tuples * market.n_symbols, market.bars)
    out = []
    for key in ("entries", "exits", "short_entries", "short_exits"):
        value = raw.get(key)
        if value is None:
            out.append(np.zeros((1, 1), dtype=np.bool_))
            continue
        arr = np.asarray(value)
        if arr.shape != shape:
            raise ValueError(
                f"signals[{key!r}] has shape {arr.shape}, expected {shape} (combinations x bars)"
            )
        out.append(writable(arr.astype(np.bool_, copy=False)))
    return out


def run_groups(
    plan: SweepPlan,
    market: Market,
    close_filled: np.ndarray,
    combos: np.ndarray,
    signal_values: dict[str, np.ndarray],
    signal_of_group: np.ndarray,
    windows: np.ndarray,
    objective: int,
    cscv_bounds: np.ndarray,
    cscv_row: np.ndarray,
    keep_row: np.ndarray,
    n_keep: int,
    n_cscv: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate the combinations ``combos`` (ids) whose signal tuples are ``signal_values`` (one entry per
    distinct tuple; ``signal_of_group`` maps each combination to its tuple)."""
    tuples = len(next(iter(signal_values.values()))) if signal_values else 1
    le, lx, se, sx = signal_arrays(plan, market, signal_values, tuples)
    fields = resolve_fields(plan, plan.grid.values_of(combos), len(combos))
    n = len(combos)
    metrics = np.empty((n, N_METRICS))
    window_out = np.empty((n, len(windows)))
    cscv = np.zeros((max(n_cscv, 1), len(cscv_bounds) - 1, 2))
    equity = np.empty((max(n_keep, 1), market.bars))
    errors = np.zeros(n, dtype=np.int64)
    run_block(
        market.n_symbols, market.open, market.high, market.low, market.close, close_filled, le, lx, se, sx,
        signal_of_group, float(plan.init_cash), fields["size"], fields["size_type"], fields["fees"],
        fields["slippage"], fields["sl_stop"], fields["sl_trail"], fields["tp_stop"],
        fields["stop_exit_price"],
        float(plan.periods), rf_per_bar(plan), windows, objective, cscv_bounds, cscv_row, keep_row, metrics,
        window_out, cscv, equity, errors,
    )  # fmt: skip
    return metrics, window_out, cscv, equity, errors


def rf_per_bar(plan: SweepPlan) -> float:
    return float((1.0 + plan.risk_free_rate) ** (1.0 / plan.periods) - 1.0)


def signal_values_of(
    plan: SweepPlan, layout_shape: tuple[int, ...], signal_ids: np.ndarray
) -> dict[str, np.ndarray]:
    """Per signal parameter, its value in each of the signal tuples ``signal_ids``."""
    if not plan.signal_params:
        return {}
    idx = np.unravel_index(signal_ids, layout_shape)
    return {
        name: plan.grid.values[plan.grid.axis(name)][i]
        for name, i in zip(plan.signal_params, idx, strict=True)
    }


def walk_forward_windows(plan: SweepPlan, bars: int) -> np.ndarray:
    if plan.walk_forward is None:
        return np.zeros((0, 2), dtype=np.int64)
    folds = fold_windows(bars, plan.walk_forward.folds, plan.walk_forward.in_sample)
    return np.ascontiguousarray(folds.reshape(-1, 2))


def cscv_sample(plan: SweepPlan, valid: np.ndarray) -> np.ndarray:
    """The combinations whose partition sums feed the PBO: all valid ones, or an even spread of
    ``pbo_max_strategies`` of them."""
    ids = np.flatnonzero(valid)
    if len(ids) > plan.pbo_max_strategies:
        ids = ids[np.unique(np.linspace(0, len(ids) - 1, plan.pbo_max_strategies).round().astype(np.int64))]
    return ids


def main_pass(plan: SweepPlan, market: Market) -> PassResult:
    objective = objective_index(plan.objective)
    grid = plan.grid
    valid = grid.valid_mask(plan.constraints)
    layout = _layout(plan, valid)
    windows = walk_forward_windows(plan, market.bars)
    bounds = np.linspace(0, market.bars, plan.pbo_partitions + 1).round().astype(np.int64)
    cscv_ids = cscv_sample(plan, valid)
    cscv_row_of = np.full(grid.size, -1, dtype=np.int64)
    cscv_row_of[cscv_ids] = np.arange(len(cscv_ids))
    close_filled = market.filled_close()

    metrics = np.full((grid.size, N_METRICS), np.nan)
    window_objective = np.full((grid.size, len(windows)), np.nan)
    cscv_sums = np.zeros((len(cscv_ids), plan.pbo_partitions, 2))
    errors = np.zeros(grid.size, dtype=np.int64)
    total = int(valid.sum())
    done = 0

    def one(block: tuple[slice, slice]) -> int:
        rows, cols = block
        ok = layout.ok[rows, cols]
        keep = np.flatnonzero(ok.any(axis=1))
        if len(keep) == 0:
            return 0
        signal_ids = np.arange(rows.start, rows.stop)[keep]
        pairs = np.argwhere(ok[keep])  # (tuple within block, exec index within block)
        combos = layout.flat[rows, cols][keep][pairs[:, 0], pairs[:, 1]]
        local_rows = cscv_row_of[combos]
        sampled = np.flatnonzero(local_rows >= 0)
        cscv_row = np.full(len(combos), -1, dtype=np.int64)
        cscv_row[sampled] = np.arange(len(sampled))
        m, w, c, _eq, err = run_groups(
            plan, market, close_filled, combos, signal_values_of(plan, layout.signal_shape, signal_ids),
            pairs[:, 0].astype(np.int64), windows, objective, bounds, cscv_row,
            np.full(len(combos), -1, dtype=np.int64), 0, len(sampled),
        )  # fmt: skip
        metrics[combos] = m
        window_objective[combos] = w
        errors[combos] = err
        if len(sampled):
            cscv_sums[local_rows[sampled]] = c[: len(sampled)]
        return len(combos)

    report = plan.progress or progress.current()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, plan.threads)) as pool:
        for count in pool.map(one, _work(layout, plan.block_size)):
            done += count
            if report is not None and count:
                report(done, total)
    elapsed = time.perf_counter() - started
    return PassResult(
        metrics=metrics,
        windows=windows,
        window_objective=window_objective,
        cscv_ids=cscv_ids,
        cscv_sums=cscv_sums,
        cscv_counts=np.diff(bounds),
        valid=valid,
        errors=errors,
        evaluated=int((valid & (errors == 0)).sum()),
        elapsed_s=elapsed,
    )
