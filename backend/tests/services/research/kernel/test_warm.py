"""After the zygote's `warm()`, a sweep compiles nothing (a sandboxed run cannot use numba's disk cache):
fields given as constants or as parameters, with or without walk-forward, pandas' read-only arrays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[4]
PROBE = r"""
import json
import numpy as np, pandas as pd
from numba.core import caching, event
import app.services.research.kernel as k
k.warm()
caching.Cache.load_overload = lambda self, sig, ctx: None
caching.Cache.save_overload = lambda self, sig, data: None
index = pd.date_range("2020-01-01", periods=300, freq="B", tz="UTC")
steps = 1 + np.random.default_rng(0).normal(0.0003, 0.01, (300, 1))
close = pd.DataFrame(100 * np.cumprod(steps, axis=0), index=index)
market = k.Market.from_frames(close * 0.999, close * 1.01, close * 0.99, close)
table = k.IndicatorTable([5, 10, 50], lambda n: close.iloc[:, 0].rolling(n).mean())
def signals(p):
    f, s = table.pick(p["fast"]), table.pick(p["slow"])
    return {"entries": k.crossed_above(f, s), "exits": k.crossed_below(f, s)}
counts = []
constant = {"size": 1.0, "size_type": "percent", "sl_stop": 0.05}
swept = {"size": 1.0, "size_type": "percent", "sl_stop": lambda p: p["sl"]}
for fields, walk in ((constant, None), (swept, k.WalkForward(2, 0.6))):
    with event.install_recorder("numba:compile") as rec:
        k.run_sweep(market, k.SweepPlan(grid=k.Grid({"fast": [5, 10], "slow": [50], "sl": [0.03, 0.05]}),
            signals=signals, signal_params=["fast", "slow"], init_cash=1e4, periods=252.0, fields=fields,
            walk_forward=walk))
    counts.append(len(rec.buffer))
print(json.dumps(counts))
"""


def test_a_sweep_after_warm_up_compiles_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BACKEND, env={**os.environ, "PYTHONPATH": str(BACKEND)},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0, 0]
