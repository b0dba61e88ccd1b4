"""Market-data files as users upload them, for the `/data` route tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

ALICE, BOB = "usr_alice", "usr_bob"


def yahoo_style_csv(n: int = 60) -> tuple[bytes, pd.DataFrame]:
    """A CSV as yfinance's `to_csv` writes it: Date with a New York offset, Adj Close, Volume."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2023-01-02", periods=n).tz_localize("America/New_York")
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * (1 + rng.normal(0, 0.003, n))
    table = pd.DataFrame(
        {
            "Date": [d.isoformat(sep=" ") for d in days],
            "Open": open_.round(4),
            "High": (np.maximum(open_, close) * 1.01).round(4),
            "Low": (np.minimum(open_, close) * 0.99).round(4),
            "Close": close.round(4),
            "Adj Close": (close * 0.98).round(4),
            "Volume": rng.integers(1_000, 9_000, n),
        }
    )
    return table.to_csv(index=False).encode(), table
