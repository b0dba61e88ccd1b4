"""The warm-up scripts cover every numba signature a portfolio run needs: after the zygote's warm-up, a
2-10 symbol shared-cash run compiles nothing (it would otherwise compile in every run: a run's child cannot
use numba's disk cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BACKEND = Path(__file__).resolve().parents[3]

# In a fresh process, as the zygote and then a run's child: warm the stack and run the warm-up scripts,
# switch off numba's disk cache as a child does, then run each script and count numba compilations.
PROBE = r"""
import json, sys
from datetime import date
import numpy as np, pandas as pd
from numba.core import caching, event
from app.models.params import ExecutionParams
from app.services.language import build_spec, compile_spec, parse_graph, warmup_scripts
from app.services.sandbox.harness.script import run_script
from app.services.sandbox.harness.warmup import warm_scripts, warm_stack

warm_stack()
warm_scripts(warmup_scripts())
caching.Cache.load_overload = lambda self, sig, ctx: None
caching.Cache.save_overload = lambda self, sig, data: None

seed = {"nodes": [
    {"id": "e", "type": "entry_condition",
     "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]}},
    {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
    {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
]}
index = pd.date_range("2010-01-01", periods=1500, freq="B", tz="UTC")
rng = np.random.default_rng(4)
frames = {}
for k in range(10):
    close = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, len(index)))
    frames[f"S{k}"] = pd.DataFrame({"Open": close * 1.001, "High": close * 1.01, "Low": close * 0.99,
                                    "Close": close, "Volume": 1e6}, index=index)
out = {}
for count in json.loads(sys.argv[1]):
    symbols = list(frames)[:count]
    params = ExecutionParams(symbols=symbols, start_date=date(2011, 1, 1), end_date=date(2015, 12, 31))
    code = compile_spec(build_spec(parse_graph(seed), params))
    with event.install_recorder("numba:compile") as rec:
        report = run_script(code, frames, symbols)
    assert "ok" in report, report
    out[count] = len(rec.buffer)
with event.install_recorder("numba:compile") as rec:  # the probe itself: a new signature does compile
    import vectorbt as vbt
    c = pd.Series(np.arange(1.0, 200.0, dtype=np.float32))
    vbt.Portfolio.from_signals(c, c > 50, c > 150, sl_stop=np.float32(0.05), freq="1D").value()
out["new_signature"] = len(rec.buffer)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_portfolios_of_2_to_10_symbols_compile_nothing_after_the_warm_up() -> None:
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([1, 2, 5, 10])],
        cwd=BACKEND, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert compiled["new_signature"] > 0  # the counter sees compilations
    assert compiled == {"1": 0, "2": 0, "5": 0, "10": 0, "new_signature": compiled["new_signature"]}
