"""A sweep through the real sandbox: the kernel is preloaded (its import passes the policy), progress
arrives while it runs and stays out of stdout, the result comes back reduced, and its best row is the
sandbox's own normal run of the same values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, parse_graph
from app.services.research.design import design, graph_with
from app.services.research.kernel import TABLE_COLUMNS, unpack_table
from app.services.research.script import sweep_script
from app.services.results import build_results
from app.services.sandbox import SandboxPool
from tests.services.research.test_script import GRAPH, PARAMS

GRID = {"fast": [5, 10, 20], "slow": [50, 100], "sl.stop_pct": [3, 5]}


@pytest.fixture(scope="module")
def spx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.services.research.kernel.sweep_fixtures import DATASETS

    raw = pd.read_csv(DATASETS / "SPX.csv.gz", index_col="date", parse_dates=["date"])
    raw.index = pd.DatetimeIndex(raw.index, name="timestamp").tz_localize("UTC")
    path = tmp_path_factory.mktemp("sweep") / "spx.parquet"
    raw[["open", "high", "low", "close", "volume"]].astype("float64").to_parquet(path)
    return path


async def test_a_sweep_runs_in_the_sandbox(sandbox_pool: SandboxPool, spx_file: Path) -> None:
    d = design(GRAPH, PARAMS, GRID | {"drop": [5]})
    code = sweep_script(d, "sharpe_ratio", (3, 0.7), ("fast", "slow"))
    seen: list[tuple[int, int]] = []
    result = await sandbox_pool.run(
        code, {"SPX": spx_file}, timeout_s=120, progress=lambda done, total: seen.append((done, total))
    )
    sweep: dict[str, Any] = result.sweep or {}
    assert sweep["combinations"] == 12 and sweep["evaluated"] == 12
    assert seen and seen[-1] == (12, 12)
    assert "stratcrew-progress" not in result.stdout_tail
    ids, metrics = unpack_table(sweep["table"], 12)
    assert sorted(ids.tolist()) == list(range(12)) and metrics.shape == (12, len(TABLE_COLUMNS))
    best = sweep["best"]["values"]
    np.testing.assert_allclose(
        metrics[:, TABLE_COLUMNS.index("sharpe_ratio")].max(),
        sweep["best"]["metrics"]["sharpe_ratio"],
        rtol=1e-6,
    )

    graph = GRAPH
    for name in ("fast", "slow", "drop", "sl.stop_pct"):
        graph = graph_with(graph, name, best[name])
    normal = await sandbox_pool.run(compile_spec(build_spec(parse_graph(graph), PARAMS)), {"SPX": spx_file})
    expected = build_results(normal.equity, normal.trades, None, PARAMS).metrics.model_dump()
    for key, value in sweep["best"]["metrics"].items():
        assert value == (pytest.approx(expected[key], abs=1e-9) if expected[key] is not None else None), key
