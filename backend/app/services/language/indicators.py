"""Indicator definitions: what each indicator is, its label, its variable name and its warm-up.

The formulas themselves live with the code that writes them (`compiler_indicators.py`); the docstring
there is the reference a quant can check them against.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PriceField = Literal["open", "high", "low", "close", "volume"]

IndicatorKind = Literal[
    "sma",
    "ema",
    "wma",
    "rsi",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "atr",
    "stoch_k",
    "stoch_d",
    "adx",
    "cci",
    "roc",
    "highest",
    "lowest",
    "volume_sma",
]

# Indicators whose values are bounded: used to spot conditions that can never be true.
BOUNDS: dict[str, tuple[float, float]] = {
    "rsi": (0.0, 100.0),
    "stoch_k": (0.0, 100.0),
    "stoch_d": (0.0, 100.0),
    "adx": (0.0, 100.0),
    "atr": (0.0, float("inf")),
    "volume_sma": (0.0, float("inf")),
    "roc": (-100.0, float("inf")),
}

_NAMES: dict[str, str] = {
    "sma": "SMA",
    "ema": "EMA",
    "wma": "WMA",
    "rsi": "RSI",
    "macd": "MACD",
    "macd_signal": "MACD signal",
    "macd_hist": "MACD histogram",
    "bb_upper": "Bollinger upper",
    "bb_middle": "Bollinger middle",
    "bb_lower": "Bollinger lower",
    "atr": "ATR",
    "stoch_k": "Stochastic %K",
    "stoch_d": "Stochastic %D",
    "adx": "ADX",
    "cci": "CCI",
    "roc": "ROC",
    "highest": "Highest high",
    "lowest": "Lowest low",
    "volume_sma": "Volume SMA",
}

# Multi-output indicators are computed together; the family names the shared block.
FAMILY: dict[str, str] = {
    "macd": "macd",
    "macd_signal": "macd",
    "macd_hist": "macd",
    "bb_upper": "bb",
    "bb_middle": "bb",
    "bb_lower": "bb",
    "stoch_k": "stoch",
    "stoch_d": "stoch",
}

DEFAULT_PERIOD: dict[str, int] = {
    "rsi": 14,
    "atr": 14,
    "adx": 14,
    "cci": 20,
    "roc": 10,
    "stoch_k": 14,
    "stoch_d": 14,
    "bb_upper": 20,
    "bb_middle": 20,
    "bb_lower": 20,
    "volume_sma": 20,
    "macd": 12,
    "macd_signal": 12,
    "macd_hist": 12,
}


class Indicator(BaseModel):
    """One indicator series. ``period`` is the main window (the fast EMA for MACD, %K's window for
    the stochastic); ``slow``/``signal`` complete MACD, ``signal`` is %D's smoothing, ``std`` the band
    width of Bollinger bands, ``source`` the price a moving average or ROC is taken of.

    >>> Indicator(kind="sma", period=20).label()
    'SMA(20)'
    >>> Indicator(kind="macd_signal", period=12, slow=26, signal=9).var_name()
    'macd_signal_12_26_9'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IndicatorKind
    period: int = Field(ge=0)
    source: PriceField = "close"
    slow: int | None = Field(default=None, ge=0)
    signal: int | None = Field(default=None, ge=0)
    std: float | None = None

    @property
    def family(self) -> str:
        return FAMILY.get(self.kind, self.kind)

    def params(self) -> tuple[float, ...]:
        values: list[float] = [self.period]
        if self.family == "macd":
            values += [self.slow or 0, self.signal or 0]
        elif self.family == "stoch":
            values.append(self.signal or 0)
        elif self.family == "bb":
            values.append(self.std or 0.0)
        return tuple(values)

    def _param_text(self, sep: str) -> str:
        return sep.join(_num(v) for v in self.params())

    def label(self) -> str:
        """Human label, e.g. ``SMA(20)``, ``MACD(12,26,9)``; other sources are named: ``SMA(20, high)``."""
        source = f", {self.source}" if self._shows_source() else ""
        return f"{_NAMES[self.kind]}({self._param_text(',')}{source})"

    def var_name(self) -> str:
        """Python variable name in the generated code, e.g. ``sma_20``, ``bb_upper_20_2``."""
        source = f"_{self.source}" if self._shows_source() else ""
        return f"{self.kind}{source}_{self._param_text('_').replace('.', 'p')}"

    def warmup(self) -> int:
        """Bars before the first value exists (the longest look-back this indicator needs)."""
        n = self.period
        if self.family == "macd":
            return max(n, self.slow or 0) + (self.signal or 0)
        if self.family == "stoch":
            return n + (self.signal or 0)
        if self.kind == "adx":
            return 2 * n + 1
        if self.kind in ("rsi", "atr", "roc", "highest", "lowest"):
            return n + 1
        return n

    def _shows_source(self) -> bool:
        return self.kind in ("sma", "ema", "wma", "roc") and self.source != "close"


def _num(value: float) -> str:
    """20 -> '20', 2.5 -> '2.5' (labels never show '20.0')."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
