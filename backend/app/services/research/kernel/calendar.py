"""Bars per year, as the host's metrics count them (`app/services/results/metrics.py`,
`periods_per_year`; tests hold the two equal): 252 trading days without weekend bars, 365 with them;
hourly bars: that day count times the median bars per day; weekly 52; monthly 12."""

from __future__ import annotations

import numpy as np
import pandas as pd


def periods_per_year(index: pd.DatetimeIndex, timeframe: str) -> float:
    days = 365.0 if bool((index.day_of_week >= 5).any()) else 252.0
    if timeframe == "1wk":
        return 52.0
    if timeframe == "1mo":
        return 12.0
    if timeframe == "1h":
        per_day = pd.Series(1, index=index).groupby(index.normalize()).size()
        return days * float(np.median(per_day)) if len(per_day) else days * 24.0
    return days
