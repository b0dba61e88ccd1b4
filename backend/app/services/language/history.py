"""Warm-up from earlier data: how many bars before ``start_date`` the indicators are computed on.

A 200-day SMA has no value for its first 199 bars. Computing it only on the backtest window would keep a
strategy from 2010 out of the market until October 2010 although the data starts in 1999, so the generated
code keeps up to `history_bars(spec)` bars before ``START`` (where the data has them), computes every
indicator and signal on them, and starts orders, equity and metrics at ``START``.

How many: the longest look-back of the rules and ATR stops (`StrategySpec.longest_window`, which counts lags
and the extra bar of a cross) plus, for indicators with an infinite memory (EMA, Wilder's RSI/ATR/ADX, MACD),
the bars after which their seed weighs less than 0.1% (``ln(0.001) / ln(1 - alpha)``), plus a margin of
`MARGIN` bars. A finite window (SMA, Bollinger, stochastic, ...) needs nothing more: its values on ``START``
are then exactly those of a run over all the data.

>>> from app.services.language.indicators import Indicator
>>> settle_bars(Indicator(kind="sma", period=200)), settle_bars(Indicator(kind="ema", period=20))
(0, 70)
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd

from app.services.language.indicators import Indicator
from app.services.language.spec import StrategySpec

MARGIN = 10
SEED_WEIGHT = 0.001  # an infinite-memory indicator's seed weighs less than this after its settle bars

# Calendar days per bar, generous (weekends, holidays), to load enough history for `history_bars`.
_DAYS_PER_BAR = {"1d": 1.5, "1h": 0.25, "1wk": 7.1, "1mo": 31.0}
_FINITE_FAMILIES = {"sma", "wma", "volume_sma", "bb", "stoch", "cci", "roc", "highest", "lowest"}


def _decay_bars(alpha: float) -> int:
    return math.ceil(math.log(SEED_WEIGHT) / math.log(1.0 - alpha))


def settle_bars(ind: Indicator) -> int:
    """Bars beyond the first value after which the indicator no longer depends on where the data began."""
    key = ind.family if ind.family in ("macd",) else ind.kind
    if key in _FINITE_FAMILIES or ind.family in _FINITE_FAMILIES:
        return 0
    if key == "ema":
        return _decay_bars(2.0 / (ind.period + 1))
    if key in ("rsi", "atr"):
        return _decay_bars(1.0 / ind.period)
    if key == "adx":  # a Wilder average of Wilder averages
        return 2 * _decay_bars(1.0 / ind.period)
    if key == "macd":
        slow = ind.slow or ind.period
        return _decay_bars(2.0 / (slow + 1)) + _decay_bars(2.0 / ((ind.signal or 1) + 1))
    return 2 * ind.warmup()  # an indicator this module does not know yet: assume a long memory


def history_bars(spec: StrategySpec) -> int:
    """Bars before ``start_date`` the generated code keeps for the indicators' warm-up."""
    settle = max((settle_bars(ind) for ind in spec.indicators()), default=0)
    return spec.longest_window() + settle + MARGIN


def history_start(spec: StrategySpec) -> date:
    """A calendar date early enough that data loaded from it holds `history_bars` bars before the start."""
    days = math.ceil(history_bars(spec) * _DAYS_PER_BAR.get(spec.timeframe, 1.5)) + MARGIN
    return spec.start_date - timedelta(days=days)


def bars_lost_to_warmup(spec: StrategySpec, bars_before_start: int) -> int:
    """Bars of the backtest window on which some rule has no value yet, given the bars the data has before
    the start (the first value needs ``longest_window`` bars)."""
    return max(0, spec.longest_window() - 1 - bars_before_start)


def warmup_notes(spec: StrategySpec, closes: dict[str, pd.Series]) -> list[str]:
    """A sentence per symbol whose data starts too late to warm the indicators up before ``start_date``."""
    start = pd.Timestamp(spec.start_date, tz="UTC")
    notes = []
    for symbol, close in closes.items():
        index = pd.DatetimeIndex(close.index)
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        before = int(index.searchsorted(start))
        lost = bars_lost_to_warmup(spec, before)
        in_window = index[before:]
        if lost == 0 or len(in_window) == 0:
            continue
        until = in_window[min(lost, len(in_window)) - 1].date().isoformat()
        notes.append(
            f"{symbol}: the data has {before} bar{'s' if before != 1 else ''} before "
            f"{spec.start_date.isoformat()}, and the slowest rule needs {spec.longest_window()} bars of "
            f"history, so the first {min(lost, len(in_window))} bars of the backtest (to {until}) went to "
            "indicator warm-up: no signal could fire there."
        )
    return notes
