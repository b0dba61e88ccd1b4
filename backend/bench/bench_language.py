"""Parse + compile time per strategy for a 10-rule strategy (target: under 5 ms).

Run from backend/: ``python -m bench.bench_language``.

Baseline, measured in the same run: a JSON round-trip of the same node graph (``json.loads(json.dumps(g))``),
the cheapest thing any save/load path does with a strategy; the ratio says how many such round-trips one
parse + compile costs.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date
from typing import Any

from app.models.params import ExecutionParams
from app.services.language import build_spec, compile_spec, parse_graph

RULES = [
    "Enter on a 5% price drop from the 20-day moving average",
    "RSI(14) crosses back above 30",
    "MACD crosses above the signal line",
    "stochastic %K below 20",
    "price touches the lower Bollinger band",
    "volume is 1.5 times its 20-day average",
    "close is 2 ATR below the 50-day SMA",
    "ADX(14) above 20 and CCI below -100",
    "not close above the 20-day high",
    "price drops 5% in 3 days or WMA(10) crosses above WMA(30)",
]
GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "entry", "type": "entry_condition", "meta": {"rules": RULES, "combine": "any"}},
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}


def Params() -> ExecutionParams:
    return ExecutionParams(
        symbols=["SPY"], start_date=date(2015, 1, 1), end_date=date(2020, 1, 1), slippage=0.0
    )


def _time(fn: Any, repeat: int, clock: Any = time.perf_counter) -> list[float]:
    out = []
    for _ in range(repeat):
        start = clock()
        fn()
        out.append((clock() - start) * 1000)
    return out


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    params = Params()

    def language() -> str:
        return compile_spec(build_spec(parse_graph(GRAPH), params))

    def baseline() -> Any:
        return json.loads(json.dumps(GRAPH))

    language()  # import-time and first-call costs out of the measurement
    runs = _time(language, 300)
    # The process's CPU time as well: on a shared machine the wall clock also counts the time this process
    # waited for a core, which is not the language's cost.
    cpu = _time(language, 300, time.process_time)
    base = _time(baseline, 300)
    median, base_median = statistics.median(runs), statistics.median(base)
    print(f"strategy: {len(RULES)} rules, {len(language().splitlines())} lines of generated code")
    print(f"parse + compile: median {median:.3f} ms, p95 {_p95(runs):.3f} ms (target < 5 ms)")
    cpu_median = statistics.median(cpu)
    print(f"parse + compile, process CPU time: median {cpu_median:.3f} ms, p95 {_p95(cpu):.3f} ms")
    print(f"baseline json round-trip of the graph: median {base_median:.4f} ms, p95 {_p95(base):.4f} ms")
    print(f"ratio (language / baseline, medians): {median / base_median:.0f}x")


if __name__ == "__main__":
    main()
