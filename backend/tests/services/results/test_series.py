"""Series: downsampling for transport, and the benchmark aligned on the strategy's calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.services.results import build_results, downsample
from tests.services.results.results_fixtures import CAPITAL, Run, params


def test_downsample_keeps_envelope() -> None:
    rng = np.random.default_rng(3)
    values = 100 * np.cumprod(1 + rng.normal(0, 0.01, 20_000))
    points = [(f"t{i}", float(v)) for i, v in enumerate(values)]
    out = downsample(points, 5_000)
    assert len(out) <= 5_000
    assert out[0] == points[0] and out[-1] == points[-1]
    kept = [v for _, v in out]
    assert min(kept) == values.min() and max(kept) == values.max()
    order = [int(t[1:]) for t, _ in out]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert downsample(points[:5_000], 5_000) == points[:5_000]


def test_long_series_are_downsampled_for_transport() -> None:
    stamps = pd.date_range("2020-01-01", periods=20_000, freq="h", tz="UTC")
    rng = np.random.default_rng(11)
    equity = CAPITAL * np.cumprod(1 + rng.normal(0, 0.002, len(stamps)))
    close = pd.Series(50 * np.cumprod(1 + rng.normal(0, 0.002, len(stamps))), index=stamps)
    res = build_results(
        [(t.isoformat(), v) for t, v in zip(stamps, equity, strict=True)],
        [],
        close,
        params(initial_capital=CAPITAL, timeframe="1h"),
    )
    for name in ("equity", "benchmark", "drawdown"):
        full, sent = res.full_series[name], getattr(res, f"{name}_series")
        assert len(full) == 20_000 and len(sent) <= 5_000
        assert sent[0] == full[0] and sent[-1] == full[-1]
    dd = [v for _, v in res.drawdown_series]
    peak = np.maximum.accumulate(np.r_[CAPITAL, equity])[1:]
    assert min(dd) == pytest.approx(((equity / peak - 1) * 100).min(), abs=1e-9)


def test_benchmark_aligned_forward_filled_and_trimmed(ma_run: Run) -> None:
    """A benchmark with holes, extra bars and a later start: forward fill on the strategy calendar."""
    close = ma_run.bars["close"]
    sparse = close.iloc[10:].drop(close.index[[20, 21, 31, 500]])
    extra = pd.Series(
        [close.iloc[30] * 1.01], index=[close.index[30] + pd.Timedelta(hours=5)]
    )  # off-calendar
    res = build_results(ma_run.equity, ma_run.trades, pd.concat([sparse, extra]).sort_index(), ma_run.params)
    got = pd.Series({pd.Timestamp(t): v for t, v in res.full_series["benchmark"]})
    expected = close.to_numpy().copy()
    expected[[20, 21]] = expected[19]  # missing bars take the last close before them
    expected[31] = close.iloc[30] * 1.01  # ... which may be an off-calendar print
    expected[500] = expected[499]
    expected = CAPITAL * expected[10:] / expected[10]  # nothing before the benchmark's first close
    assert got.index[0] == close.index[10]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert any("benchmark's data starts on" in w for w in res.metrics.warnings)
