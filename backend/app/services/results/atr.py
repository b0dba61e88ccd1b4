"""The Wilder ATR of each bar, to place stops given in ATR multiples when explaining exits.

The same computation as the generated code's (`language.compiler_indicators`: true range with the previous
close, Wilder average ``ewm(alpha=1/n, adjust=False, min_periods=n)``), on the same bars including the
history before the start, so the level found here is the level the backtest used (tested equal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wilder_atr(bars: pd.DataFrame, period: int) -> pd.Series:
    high, low, close = bars["high"], bars["low"], bars["close"]
    previous_close = close.shift(1)
    true_range = np.maximum(
        high - low, np.maximum((high - previous_close).abs(), (low - previous_close).abs())
    )
    return (
        pd.Series(true_range, index=bars.index).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
    )
