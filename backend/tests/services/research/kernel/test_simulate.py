"""The sweep kernel against vectorbt itself: the same orders, the same equity, the same metrics.

Each case runs ``vbt.Portfolio.from_signals`` the way the generated code does, reads it back exactly as a
normal execution does (the sandbox's `extract`, then the host's `build_results`), and runs the same
signals and settings through the kernel's `run_block`. The equity curves must agree to 1e-12 relative and
every headline metric, as the API shows it, to 1e-9: that is what lets a sweep's best row be replayed as a
normal run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.models.params import ExecutionParams
from app.services.research.kernel.block import run_block
from app.services.research.kernel.metrics import METRIC_NAMES, N_METRICS
from app.services.results import build_results
from app.services.sandbox.harness.extract import extract
from app.services.sandbox.result import TradeRecord

BARS = 700
CAPITAL = 10_000.0

CASES: dict[str, dict[str, Any]] = {
    "percent_sl_tp_fees_slippage": dict(sl=0.05, tp=0.07, size=1.0, stype="percent", fees=0.001, slip=0.001),
    "trailing_half_cash": dict(sl=0.03, trail=True, size=0.5, stype="percent", fees=0.002),
    "no_stops_no_costs": dict(size=1.0, stype="percent"),
    "fixed_value_slippage": dict(sl=0.05, tp=0.1, size=2500.0, stype="value", fees=0.001, slip=0.002),
    "stop_fills_with_slippage": dict(
        sl=0.05, tp=0.1, size=2500.0, stype="value", fees=0.001, slip=0.002, exit_price="stopmarket"
    ),
    "shorts_amount_trailing": dict(
        sl=0.05, tp=0.1, trail=True, size=10.0, stype="amount", fees=0.001, short=0.03
    ),
    "shorts_value": dict(sl=0.04, tp=0.08, size=3000.0, stype="value", fees=0.001, slip=0.001, short=0.03),
    "missing_bars": dict(sl=0.05, tp=0.07, size=3000.0, stype="value", fees=0.001, gaps=True),
}
EXIT_PRICE = {None: 0, "stoplimit": 0, "stopmarket": 1}
SIZE_TYPE = {"amount": 0, "value": 1, "percent": 2}


def _bars(seed: int, symbols: int, gaps: bool) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    shape = (BARS, symbols)
    close = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, shape), axis=0)
    open_ = close * (1 + rng.normal(0, 0.006, shape))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, shape)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, shape)))
    if gaps and symbols > 1:  # the second symbol is missing for a stretch (listed late, halted)
        for arr in (open_, high, low, close):
            arr[:40, 1] = np.nan
            arr[300:310, 1] = np.nan
    index = pd.date_range("2001-01-01", periods=BARS, freq="B", tz="UTC")
    columns = [f"S{k}" for k in range(symbols)]
    return {
        name: pd.DataFrame(arr, index=index, columns=columns)
        for name, arr in (("open", open_), ("high", high), ("low", low), ("close", close))
    }


def _vectorbt(frames: dict[str, pd.DataFrame], signals: dict[str, np.ndarray], case: dict[str, Any]) -> Any:
    import vectorbt as vbt

    close = frames["close"]

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=close.index, columns=close.columns)

    kwargs: dict[str, Any] = dict(
        open=frames["open"], high=frames["high"], low=frames["low"], sl_stop=case.get("sl", np.nan),
        sl_trail=case.get("trail", False), tp_stop=case.get("tp", np.nan), size=case["size"],
        size_type=case["stype"], fees=case.get("fees", 0.0), slippage=case.get("slip", 0.0),
        init_cash=CAPITAL, freq="1D",
    )  # fmt: skip
    if close.shape[1] > 1:
        kwargs.update(group_by=True, cash_sharing=True)
    if case.get("exit_price"):
        kwargs["stop_exit_price"] = case["exit_price"]
    if case.get("short"):
        kwargs.update(short_entries=frame(signals["se"]), short_exits=frame(signals["sx"]))
    return vbt.Portfolio.from_signals(close, frame(signals["le"]), frame(signals["lx"]), **kwargs)


def _kernel(frames: dict[str, pd.DataFrame], signals: dict[str, np.ndarray], case: dict[str, Any]) -> Any:
    arrays = {k: np.ascontiguousarray(v.to_numpy()) for k, v in frames.items()}
    filled = np.ascontiguousarray(frames["close"].ffill().bfill().to_numpy())
    symbols = arrays["close"].shape[1]

    def one(value: Any, dtype: Any = np.float64) -> np.ndarray:
        return np.array([value], dtype=dtype)

    def rows(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a.T)

    metrics = np.zeros((1, N_METRICS))
    equity = np.zeros((1, BARS))
    errors = np.zeros(1, dtype=np.int64)
    run_block(
        symbols, arrays["open"], arrays["high"], arrays["low"], arrays["close"], filled,
        rows(signals["le"]), rows(signals["lx"]), rows(signals["se"]), rows(signals["sx"]),
        np.array([0]), CAPITAL, one(case["size"]), one(SIZE_TYPE[case["stype"]], np.int64),
        one(case.get("fees", 0.0)), one(case.get("slip", 0.0)), one(case.get("sl", np.nan)),
        one(case.get("trail", False), np.bool_), one(case.get("tp", np.nan)),
        one(EXIT_PRICE[case.get("exit_price")], np.int64), 252.0, 0.0, np.zeros((0, 2), dtype=np.int64), 3,
        np.array([0, BARS], dtype=np.int64), np.array([-1]), np.array([0]), metrics, np.zeros((1, 0)),
        np.zeros((1, 1, 2)), equity, errors,
    )  # fmt: skip
    assert errors[0] == 0
    return equity[0], metrics[0]


@pytest.mark.parametrize("symbols", [1, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_reproduces_vectorbt_and_the_host_metrics(name: str, symbols: int) -> None:
    case = CASES[name]
    seed = sorted(CASES).index(name) * 10 + symbols
    frames = _bars(seed, symbols, gaps=bool(case.get("gaps")))
    rng = np.random.default_rng(seed + 1)
    shape = (BARS, symbols)
    short = case.get("short", 0.0)
    signals = {
        "le": rng.random(shape) < 0.04,
        "lx": rng.random(shape) < 0.03,
        "se": rng.random(shape) < short,
        "sx": rng.random(shape) < short,
    }
    pf = _vectorbt(frames, signals, case)
    equity, metrics = _kernel(frames, signals, case)

    expected_value = np.asarray(pf.value()).reshape(-1)
    np.testing.assert_allclose(equity, expected_value, rtol=1e-12, atol=0)

    out = extract({"portfolio": pf}, list(frames["close"].columns))
    assert len(out["trades"]) >= 5, "the case should trade"
    params = ExecutionParams(
        initial_capital=CAPITAL, risk_free_rate=0.0, timeframe="1d", fees=0.0, slippage=case.get("slip", 0)
    )
    trades = [TradeRecord.model_validate(t) for t in out["trades"]]
    normal = build_results(out["equity"], trades, None, params).metrics.model_dump()
    for key, value in zip(METRIC_NAMES, metrics, strict=True):
        expected = normal[key]
        if expected is None:
            assert math.isnan(value), f"{key}: kernel {value}, normal run None"
        else:
            # the API rounds every metric to 6 decimals; a sweep row is rounded the same way
            assert round(float(value), 6) == pytest.approx(expected, abs=1e-9), key


def test_kernel_metrics_match_an_independent_numpy_computation() -> None:
    """The same figures written here from their definitions (not the host's module)."""
    case = CASES["percent_sl_tp_fees_slippage"]
    frames = _bars(7, 1, gaps=False)
    rng = np.random.default_rng(8)
    signals = {"le": rng.random((BARS, 1)) < 0.04, "lx": rng.random((BARS, 1)) < 0.03}
    signals |= {"se": np.zeros((BARS, 1), bool), "sx": np.zeros((BARS, 1), bool)}
    equity, metrics = _kernel(frames, signals, case)
    m = dict(zip(METRIC_NAMES, metrics, strict=True))
    prev = np.concatenate([[CAPITAL], equity[:-1]])
    r = equity / prev - 1
    assert m["total_return"] == pytest.approx((equity[-1] / CAPITAL - 1) * 100, rel=1e-12)
    assert m["sharpe_ratio"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-9)
    assert m["sortino_ratio"] == pytest.approx(
        r.mean() / math.sqrt((np.minimum(r, 0) ** 2).mean()) * math.sqrt(252)
    )
    peak = np.maximum.accumulate(np.concatenate([[CAPITAL], equity]))[1:]
    assert m["max_drawdown"] == pytest.approx((equity / peak - 1).min() * 100, rel=1e-12)
    years = BARS / 252
    assert m["cagr"] == pytest.approx(((equity[-1] / CAPITAL) ** (1 / years) - 1) * 100, rel=1e-12)
