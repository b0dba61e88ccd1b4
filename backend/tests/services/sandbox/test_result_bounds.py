"""What a run hands the host is bounded inside the sandbox (issue 15, finding 5): a run making 150,000
trades over 400,000 bars hands back at most SANDBOX_MAX_RESULT_POINTS points and the first
SANDBOX_MAX_RESULT_TRADES trades with the counts of the rest, the host's share of it stays under a second,
and a result over the byte limit is refused naming both sizes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.models.params import ExecutionParams
from app.services.market_data import Bars
from app.services.pipeline.execute import ReduceInputs, reduce_backtest
from app.services.sandbox import SandboxPool
from app.services.sandbox.errors import ResultTooLarge
from app.services.sandbox.harness.extract import kept_points
from app.services.sandbox.result import ChildReport
from tests.services.sandbox.conftest import sp500_frame

# Policy-passing code: 400,000 one-minute bars of its own, three round trips every eight bars.
FLOOD = """
import numpy as np
import pandas as pd
import vectorbt as vbt

n = 400_000
index = pd.date_range("2000-01-03", periods=n, freq="min", tz="UTC")
step = np.arange(n) % 8
close = pd.Series(100.0 + np.sin(np.arange(n) / 50.0) + np.arange(n) * 1e-5, index=index)
entries = pd.Series((step == 0) | (step == 3) | (step == 5), index=index)
exits = pd.Series((step == 1) | (step == 4) | (step == 6), index=index)
portfolio = vbt.Portfolio.from_signals(close, entries, exits, init_cash=100_000)
"""


def test_thinning_keeps_the_ends_and_the_deepest_drawdown_exactly() -> None:
    rng = np.random.default_rng(15)
    values = 100_000 * np.cumprod(1 + rng.normal(0, 0.002, 300_000))
    keep = kept_points(values, 20_000)
    assert len(keep) <= 20_000 and keep[0] == 0 and keep[-1] == len(values) - 1
    assert np.all(np.diff(keep) > 0)

    def max_drawdown(v: np.ndarray) -> float:
        return float(np.min(v / np.maximum.accumulate(v) - 1))

    assert max_drawdown(values[keep]) == max_drawdown(values)
    assert kept_points(values[:500], 20_000).tolist() == list(range(500))  # short curves whole


async def test_a_flood_of_points_and_trades_is_bounded_in_the_sandbox(
    sandbox_pool: SandboxPool, market_dir: Path
) -> None:
    settings = sandbox_pool.settings
    started = time.process_time()  # this process's CPU (every thread), not the run's processes
    result = await sandbox_pool.run(FLOOD, {"SPX": market_dir / "sp500.parquet"}, timeout_s=60)
    host_read = time.process_time() - started
    assert result.points_total == 400_000
    assert result.trades_total == 150_000
    assert len(result.equity) <= settings.max_result_points == 20_000
    assert len(result.trades) == settings.max_result_trades == 5_000
    first_entries = [t.entry_time for t in result.trades[:3]]  # the earliest trades, in order
    assert first_entries == [
        "2000-01-03T00:00:00+00:00",
        "2000-01-03T00:03:00+00:00",
        "2000-01-03T00:05:00+00:00",
    ]
    # The host's share: policy check, bars, reading the result (the rest is the run, in the sandbox).
    assert host_read < 1.0, f"host share {host_read:.2f} s"

    frame = sp500_frame()
    bars = {
        "SPX": Bars(
            symbol="SPX",
            interval="1d",
            start=frame.index[0].date(),
            end=frame.index[-1].date(),
            frame=frame,
            parquet_path=market_dir / "sp500.parquet",
            source="test",
            content_hash="x",
        )
    }
    params = ExecutionParams(symbols=["SPX"], start_date="2000-01-03", end_date="2000-12-31", timeframe="1h")
    t0 = time.thread_time()  # CPU time: the machine running the tests may be shared
    results = reduce_backtest(result, ReduceInputs(bars, params, None))
    build_s = time.thread_time() - t0
    print(f"\nflood: host run and read {host_read:.2f} s, results {build_s:.2f} s (CPU)")
    assert host_read + build_s < 1.0, f"host share {host_read:.2f} s read + {build_s:.2f} s results"
    warnings = " ".join(results.metrics.warnings)
    assert "The equity curve has 400,000 bars; the sandbox handed back" in warnings
    assert "The run made 150,000 trades; only the first 5,000 were kept (145,000 left out" in warnings
    assert len(results.trades) == 5_000
    assert max(len(points) for points in results.full_series.values()) <= 20_000
    # The last bar is kept, so the final equity is exact: all-in at each entry's close, out at the exit's,
    # computed here without vectorbt.
    bar = np.arange(400_000)
    close = 100.0 + np.sin(bar / 50.0) + bar * 1e-5
    entry_bars = bar[np.isin(bar % 8, (0, 3, 5))]
    final = 100_000 * np.prod(close[entry_bars + 1] / close[entry_bars])
    last_bar = pd.Timestamp("2000-01-03", tz="UTC") + pd.Timedelta(minutes=399_999)
    assert result.equity[-1][0] == last_bar.isoformat()
    assert result.equity[-1][1] == pytest.approx(final, rel=1e-9)
    assert results.metrics.final_equity == pytest.approx(final, rel=1e-6)


async def test_a_result_over_the_limit_is_refused_naming_both_sizes(
    sandbox_pool: SandboxPool, market_dir: Path
) -> None:
    code = FLOOD.replace("n = 400_000", "n = 5_000")
    with pytest.raises(ResultTooLarge) as caught:
        await sandbox_pool.run(code, {"SPX": market_dir / "sp500.parquet"}, timeout_s=60, result_limit=50_000)
    message = caught.value.message
    assert message.startswith("Backtest stopped: result too large: ")
    size = int(message.split("result too large: ")[1].split(" bytes")[0].replace(",", ""))
    assert size > 50_000 and "limit 50,000" in message
    assert caught.value.fields["limit"] == "result_size"


def test_the_host_reads_a_bounded_result_without_a_python_call_per_number() -> None:
    """A full-size result (20,000 points, 5,000 trades) parses in well under a second."""
    stamps = pd.date_range("2000-01-03", periods=20_000, freq="min", tz="UTC").strftime(
        "%Y-%m-%dT%H:%M:%S+00:00"
    )
    trade = (
        '{"symbol":"SPX","entry_time":"2000-01-03T00:00:00+00:00","exit_time":"2000-01-03T00:01:00+00:00",'
        '"entry_price":100.0,"exit_price":101.0,"size":1.0,"pnl":1.0,"return_pct":1.0,"fees":0.1,'
        '"status":"closed","direction":"long"}'
    )
    equity = ",".join(f'["{s}",{100000.0 + i}]' for i, s in enumerate(stamps))
    raw = (
        f'{{"ok":{{"equity":[{equity}],"trades":[{",".join([trade] * 5_000)}],'
        '"signals":{"entries":1,"exits":1},"points_total":400000,"trades_total":150000}}'
    ).encode()
    started = time.thread_time()  # CPU time: the machine running the tests may be shared
    report = ChildReport.model_validate_json(raw)
    elapsed = time.thread_time() - started
    assert report.ok is not None and len(report.ok.trades) == 5_000
    assert elapsed < 0.5, f"{elapsed:.2f} s for {len(raw):,} bytes"
    assert len(raw) < 4_000_000  # fits the default result limit


ORDINARY = """
import pandas as pd
import vectorbt as vbt

data = load_data("SYN")
close = data["Close"]
fast = vbt.MA.run(close, 10)
slow = vbt.MA.run(close, 40)
portfolio = vbt.Portfolio.from_signals(
    close, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow), fees=0.0005, init_cash=100_000
)
"""


async def test_ordinary_code_on_300k_bars_costs_the_host_under_a_second(
    sandbox_pool: SandboxPool, tmp_path: Path
) -> None:
    rng = np.random.default_rng(300)
    index = pd.date_range("2001-01-01", periods=300_000, freq="h", tz="UTC", name="timestamp")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, len(index))))
    frame = pd.DataFrame(
        {"open": close, "high": close * 1.001, "low": close * 0.999, "close": close, "volume": 1e6},
        index=index,
    )
    path = tmp_path / "syn.parquet"
    frame.to_parquet(path)
    # CPU time of this process (every thread; the run's own processes are not counted): the host's share,
    # whatever else the machine running the tests is doing.
    started = time.process_time()
    result = await sandbox_pool.run(ORDINARY, {"SYN": path}, timeout_s=60)
    host_read = time.process_time() - started
    assert result.points_total == 300_000 and len(result.equity) <= 20_000
    bars = {
        "SYN": Bars(
            symbol="SYN",
            interval="1h",
            start=index[0].date(),
            end=index[-1].date(),
            frame=frame,
            parquet_path=path,
            source="test",
            content_hash="x",
        )
    }
    params = ExecutionParams(symbols=["SYN"], start_date="2001-01-01", end_date="2035-01-01", timeframe="1h")
    t0 = time.thread_time()
    results = reduce_backtest(result, ReduceInputs(bars, params, None))
    build_s = time.thread_time() - t0
    print(f"\n300k bars: host run and read {host_read:.2f} s, results {build_s:.2f} s (CPU)")
    assert host_read + build_s < 1.0, f"host share {host_read:.2f} s read + {build_s:.2f} s results"
    assert results.metrics.trades == min(result.trades_total or 0, 5_000)
