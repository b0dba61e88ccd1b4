"""`extract` reads vectorbt's record arrays instead of `records_readable`: it must give exactly what the
slow, obvious code gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.sandbox.harness.extract import extract
from tests.services.sandbox.conftest import sp500_frame


def _readable(portfolio: Any, symbols: list[str]) -> list[dict[str, Any]]:
    """The trades as the harness used to build them, from `records_readable`."""
    out = []
    for row in portfolio.trades.records_readable.to_dict("records"):
        is_open = str(row["Status"]).lower() == "open"
        column = str(row["Column"])
        out.append(
            {
                "symbol": column if column in symbols or len(symbols) != 1 else symbols[0],
                "entry_time": pd.Timestamp(row["Entry Timestamp"]).isoformat(),
                "exit_time": None if is_open else pd.Timestamp(row["Exit Timestamp"]).isoformat(),
                "entry_price": float(row["Avg Entry Price"]),
                "exit_price": None if is_open else float(row["Avg Exit Price"]),
                "size": float(row["Size"]),
                "pnl": float(row["PnL"]),
                "return_pct": float(row["Return"]) * 100.0,
                "fees": float(row["Entry Fees"]) + float(row["Exit Fees"]),
                "status": "open" if is_open else "closed",
                "direction": str(row["Direction"]).lower(),
            }
        )
    return out


def _portfolios() -> dict[str, tuple[Any, list[str]]]:
    import vectorbt as vbt

    frame = sp500_frame().iloc[-1500:]
    close = frame["close"]
    fast, slow = close.rolling(10).mean(), close.rolling(40).mean()
    up, down = (fast > slow) & (fast.shift() <= slow.shift()), (fast < slow) & (fast.shift() >= slow.shift())
    both = pd.concat({"SPX": close, "HALF": close * 0.5}, axis=1)
    ma = both.rolling(30).mean()
    kwargs: dict[str, Any] = {"init_cash": 10_000, "fees": 0.001, "freq": "1D"}
    return {
        "long-with-stops": (
            vbt.Portfolio.from_signals(close, up, down, sl_stop=0.03, tp_stop=0.06, **kwargs),
            ["SPX"],
        ),
        "open-at-the-end": (vbt.Portfolio.from_signals(close, up, False, **kwargs), ["SPX"]),
        "short": (vbt.Portfolio.from_signals(close, down, up, direction="shortonly", **kwargs), ["SPX"]),
        "two-symbols-shared-cash": (
            vbt.Portfolio.from_signals(
                both, both > ma, both < ma, cash_sharing=True, group_by=True, size=0.5, size_type="percent",
                **kwargs,
            ),
            ["SPX", "HALF"],
        ),
    }  # fmt: skip


@pytest.mark.parametrize("case", ["long-with-stops", "open-at-the-end", "short", "two-symbols-shared-cash"])
def test_extract_matches_records_readable(case: str) -> None:
    portfolio, symbols = _portfolios()[case]
    entries = np.asarray(portfolio.orders.values["side"] == 0)
    out = extract({"portfolio": portfolio, "entries": entries}, symbols)

    expected = _readable(portfolio, symbols)
    assert expected, "each case must trade"
    assert out["trades"] == expected
    value = portfolio.value()
    if isinstance(value, pd.DataFrame):
        value = value.sum(axis=1)
    assert out["equity"] == [(pd.Timestamp(t).isoformat(), float(v)) for t, v in value.items()]
    assert out["signals"] == {"entries": int(entries.sum()), "exits": 0}
    if case == "open-at-the-end":
        assert out["trades"][-1]["status"] == "open" and out["trades"][-1]["exit_time"] is None
    if case == "short":
        assert {t["direction"] for t in out["trades"]} == {"short"}
