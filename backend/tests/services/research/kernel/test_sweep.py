"""`run_sweep` end to end on the bundled S&P 500: the best row is a normal run, the reductions are the
table's own numbers, and how the work is cut (threads, blocks) changes nothing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.services.research.kernel import run_sweep
from app.services.research.kernel.sweep import replay
from tests.services.research.kernel.sweep_fixtures import crossover_plan, market_of, normal_run, spx

GRID = {"fast": [5, 10, 20, 30, 50], "slow": [20, 50, 100, 200], "sl": [3, 5, 8]}
INVALID = sum(1 for f in GRID["fast"] for w in GRID["slow"] if f >= w) * len(GRID["sl"])  # fast >= slow
VALID = 5 * 4 * 3 - INVALID


@pytest.fixture(scope="module")
def bars() -> Any:
    return spx()


@pytest.fixture(scope="module")
def outcome(bars: Any) -> Any:
    return run_sweep(market_of(bars), crossover_plan(bars, GRID))


def test_counts_and_skipped_combinations(outcome: Any) -> None:
    s = outcome.summary
    assert s["combinations"] == 5 * 4 * 3
    assert s["skipped"] == INVALID == 12
    assert s["evaluated"] == VALID and s["failed"] == 0
    assert s["combos_per_s"] > 0 and s["elapsed_s"] > 0
    assert len(outcome.table_ids) == s["evaluated"]


def test_best_row_equals_a_normal_execution(bars: Any, outcome: Any) -> None:
    best = outcome.summary["best"]
    values = best["values"]
    normal = normal_run(bars, int(values["fast"]), int(values["slow"]), sl=values["sl"] / 100)["metrics"]
    for key, value in best["metrics"].items():
        if normal[key] is None:
            assert value is None, key
        else:
            assert value == pytest.approx(normal[key], abs=1e-9), key


def test_rows_are_the_top_by_objective(outcome: Any) -> None:
    rows = outcome.summary["rows"]
    sharpes = [r["metrics"]["sharpe_ratio"] for r in rows]
    assert sharpes == sorted(sharpes, reverse=True)
    assert rows[0]["values"] == outcome.summary["best"]["values"]
    table = outcome.table_metrics[:, 3]
    assert sharpes[0] == pytest.approx(np.nanmax(table), abs=1e-6)


def test_heatmap_is_the_table_at_the_best_other_values(outcome: Any) -> None:
    heat = outcome.summary["heatmap"]
    assert (heat["x"], heat["y"]) == ("fast", "slow")
    assert heat["x_values"] == GRID["fast"] and heat["y_values"] == GRID["slow"]
    best_sl = outcome.summary["best"]["values"]["sl"]
    assert heat["fixed"] == {"sl": best_sl}
    by_values = {
        (outcome_row["values"]["fast"], outcome_row["values"]["slow"]): outcome_row["metrics"]["sharpe_ratio"]
        for outcome_row in outcome.summary["rows"]
        if outcome_row["values"]["sl"] == best_sl
    }
    for i, slow in enumerate(heat["y_values"]):
        for j, fast in enumerate(heat["x_values"]):
            cell = heat["z"][i][j]
            if fast >= slow:
                assert cell is None
            elif (fast, slow) in by_values:
                assert cell == pytest.approx(by_values[(fast, slow)], abs=1e-6)


def test_threads_and_blocks_do_not_change_the_result(bars: Any, outcome: Any) -> None:
    other = run_sweep(market_of(bars), crossover_plan(bars, GRID, threads=1, block_size=5))
    assert other.summary["rows"] == outcome.summary["rows"]
    assert other.summary["walk_forward"] == outcome.summary["walk_forward"]
    np.testing.assert_array_equal(other.table_metrics, outcome.table_metrics)


def test_progress_counts_up_to_the_valid_combinations(bars: Any) -> None:
    seen: list[tuple[int, int]] = []
    run_sweep(
        market_of(bars), crossover_plan(bars, GRID, block_size=6, progress=lambda d, t: seen.append((d, t)))
    )
    assert len(seen) > 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (VALID, VALID)


def test_walk_forward_chooses_in_sample_and_stitches_out_of_sample(bars: Any, outcome: Any) -> None:
    wf = outcome.summary["walk_forward"]
    assert len(wf["folds"]) == 4
    plan = crossover_plan(bars, GRID)
    market = market_of(bars)
    ids = outcome.table_ids
    _m, curves = replay(plan, market, ids)
    windows = np.array(plan_windows(len(bars)))
    stitched_level = plan.init_cash
    stitched: list[float] = []
    in_s, out_s = [], []
    for k, fold in enumerate(wf["folds"]):
        (a, b), (c, d) = windows[k]

        # independent: the Sharpe ratio of each curve's bar returns on the window, written here
        def sharpe(curve: np.ndarray, lo: int, hi: int) -> float:
            r = curve[lo:hi] / curve[lo - 1 : hi - 1] - 1
            return float(r.mean() / r.std(ddof=1) * math.sqrt(252)) if r.std(ddof=1) > 0 else float("nan")

        is_sharpes = np.array([sharpe(curve, a, b) for curve in curves])
        choice = int(np.nanargmax(is_sharpes))
        assert fold["values"] == plan.grid.row(int(ids[choice]))
        assert fold["in_sample_objective"] == pytest.approx(is_sharpes[choice], rel=1e-9)
        oos = sharpe(curves[choice], c, d)
        if math.isnan(oos):  # the choice did not trade out of sample: no Sharpe ratio
            assert fold["out_of_sample_objective"] is None
        else:
            assert fold["out_of_sample_objective"] == pytest.approx(oos, rel=1e-9)
        in_s.append(is_sharpes[choice])
        out_s.append(oos)
        segment = curves[choice][c:d] / curves[choice][c - 1] * stitched_level
        stitched.extend(segment.tolist())
        stitched_level = segment[-1]
        assert fold["out_of_sample"][0] == bars.index[c].isoformat()
    assert [v for _, v in wf["stitched_equity"]] == pytest.approx(stitched, rel=1e-12)
    usable = [k for k in range(4) if not math.isnan(out_s[k])]
    assert wf["efficiency"] == pytest.approx(
        np.mean([out_s[k] for k in usable]) / np.mean([in_s[k] for k in usable]), rel=1e-9
    )
    assert wf["efficiency_folds"] == len(usable)


def plan_windows(n: int) -> list[list[list[int]]]:
    from app.services.research.kernel.walk_forward import fold_windows

    return fold_windows(n, 4, 0.7).tolist()


def test_overfitting_statistics_count_every_trial(outcome: Any) -> None:
    over = outcome.summary["overfitting"]
    assert over["trials"] == outcome.summary["evaluated"]
    assert 0 <= over["deflated_sharpe_ratio"] <= 1
    assert over["deflated_sharpe_ratio"] <= over["probabilistic_sharpe_ratio"]
    assert over["sharpe_ratio"] == pytest.approx(outcome.summary["best"]["metrics"]["sharpe_ratio"], abs=1e-6)
    assert over["pbo"]["partitions"] == 16 and over["pbo"]["strategies"] == VALID
    assert 0 <= over["pbo"]["pbo"] <= 1


def test_cost_breakeven_interpolates_where_the_objective_turns(bars: Any) -> None:
    fees = [0.0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03]
    grid = {"fast": [20], "slow": [50, 100], "fees": fees}
    result = run_sweep(
        market_of(bars), crossover_plan(bars, grid, cost_params=["fees"], objective="total_return")
    )
    [line] = result.summary["cost_breakeven"]
    assert line["param"] == "fees" and line["objective"] == "total_return"
    curve = line["curve"]
    assert [c for c, _ in curve] == fees
    best_slow = result.summary["best"]["values"]["slow"]
    for cost, value in curve:  # each point is the table's value at that cost, the other values at the best
        assert value == pytest.approx(
            normal_run(bars, 20, int(best_slow), fees=cost)["metrics"]["total_return"], abs=1e-6
        )
    turn = next(i for i, (_, v) in enumerate(curve) if v <= 0)
    (c0, v0), (c1, v1) = curve[turn - 1], curve[turn]
    assert line["breakeven"] == pytest.approx(c0 + v0 * (c1 - c0) / (v0 - v1))
    assert c0 < line["breakeven"] <= c1


def test_an_impossible_combination_fails_alone(bars: Any) -> None:
    """A sizing vectorbt refuses (percent sizing cannot reverse a position) fails those combinations, not
    the sweep."""
    plan = crossover_plan(bars, {"fast": [10, 20], "slow": [50]}, constraints=[])
    original = plan.signals

    def with_shorts(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(original(p))
        if p["fast"][0] == 20:
            out["short_entries"] = out["exits"]
        else:
            out["short_entries"] = np.zeros_like(out["exits"])
        out["short_exits"] = np.zeros_like(out["exits"])
        return out

    plan.signals = with_shorts
    plan.block_size = 1
    result = run_sweep(market_of(bars), plan)
    assert result.summary["failed"] == 1 and result.summary["evaluated"] == 1
    assert result.summary["best"]["values"]["fast"] == 10
