"""One indicator series as the spec stores it: its kind, parameters and input; label, name and warm-up.

What each kind means (names, parameters, formula, code) is in the catalog (`catalog.py`,
`catalog_families.py`); this model only holds the values.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.services.language import catalog

PriceField = Literal["open", "high", "low", "close", "volume"]

IndicatorKind = Literal[
    "sma", "ema", "wma", "tema", "sum", "rsi", "macd", "macd_signal", "macd_hist",
    "bb_upper", "bb_middle", "bb_lower", "bb_pctb", "bb_width",
    "kc_upper", "kc_middle", "kc_lower", "dc_middle",
    "atr", "stoch_k", "stoch_d", "adx", "plus_di", "minus_di", "cci", "roc", "willr", "mfi", "obv", "vwap",
    "highest", "lowest", "volume_sma",
]  # fmt: skip

# Kept for callers that still look these up by kind (structured operands, the LLM hint).
DEFAULT_PERIOD: dict[str, int] = {
    "rsi": 14, "atr": 14, "adx": 14, "plus_di": 14, "minus_di": 14, "cci": 20, "roc": 10, "willr": 14,
    "mfi": 14, "stoch_k": 14, "stoch_d": 14, "bb_upper": 20, "bb_middle": 20, "bb_lower": 20, "bb_pctb": 20,
    "bb_width": 20, "kc_upper": 20, "kc_middle": 20, "kc_lower": 20, "dc_middle": 20, "volume_sma": 20,
    "macd": 12, "macd_signal": 12, "macd_hist": 12,
}  # fmt: skip


class Indicator(BaseModel):
    """One indicator series. ``period`` is the main window (the fast EMA for MACD, the stochastic's
    length); ``slow``/``signal`` complete MACD; the stochastic's %K smoothing is ``smooth`` and its %D
    smoothing ``signal``; ``std`` is the Bollinger width in standard deviations, ``mult`` the Keltner
    width in ATRs; ``source`` is the price an average or extreme is taken of, ``of`` another indicator
    (or a custom indicator's name) it is taken of instead ("SMA(9) of RSI(14)").

    >>> Indicator(kind="sma", period=20).label()
    'SMA(20)'
    >>> Indicator(kind="macd_signal", period=12, slow=26, signal=9).var_name()
    'macd_signal_12_26_9'
    >>> Indicator(kind="sma", period=9, of=Indicator(kind="rsi", period=14)).label()
    'SMA(9) of RSI(14)'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IndicatorKind
    period: int = Field(ge=0)
    source: PriceField = "close"
    slow: int | None = Field(default=None, ge=0)
    signal: int | None = Field(default=None, ge=0)
    smooth: int | None = Field(default=None, ge=0)
    std: float | None = None
    mult: float | None = None
    of: Indicator | str | None = None

    @property
    def family(self) -> str:
        return catalog.family_of(self.kind).key

    def params(self) -> tuple[float, ...]:
        return _params(self)

    def _param_text(self, sep: str) -> str:
        return sep.join(_num(v) for v in self.params())

    def label(self) -> str:
        """Human label, e.g. ``SMA(20)``, ``MACD(12,26,9)``, ``Highest close(10)``, ``SMA(9) of RSI(14)``."""
        return _label(self)

    def _label(self) -> str:
        name = catalog.output(self.kind).label
        args = f"({self._param_text(',')})" if self.params() else ""
        if self.kind in ("highest", "lowest"):
            name = f"{name} {self.source}" if self.of is None else name
        elif self._shows_source():
            args = f"({self._param_text(',')}, {self.source})"
        inner = f" of {_input_label(self.of)}" if self.of is not None else ""
        return f"{name}{args}{inner}"

    def var_name(self) -> str:
        """Python variable name in the generated code, e.g. ``sma_20``, ``sma_9_of_rsi_14``."""
        return _var_name(self)

    def _var_name(self) -> str:
        source = f"_{self.source}" if self._shows_source() else ""
        params = self._param_text("_").replace(".", "p").replace("-", "m")
        base = f"{self.kind}{source}_{params}" if params else self.kind
        if self.of is not None:
            base += f"_of_{_input_var(self.of)}"
        return base

    def input_var(self, source_var: str) -> str:
        """The variable this indicator is computed from (a price frame or another indicator)."""
        return _input_var(self.of) if self.of is not None else source_var

    def warmup(self) -> int:
        """Bars before the first value exists (the longest look-back this indicator needs)."""
        own = catalog.family_of(self.kind).warmup(self)
        if isinstance(self.of, Indicator):
            return own + self.of.warmup()
        return own

    def _shows_source(self) -> bool:
        """Labels name the source when it is not the kind's natural one (highest -> high, else close)."""
        if self.of is not None or self.kind not in _SOURCED:
            return False
        return self.source != _NATURAL_SOURCE.get(self.kind, "close")


# Labels and names are asked for many times per script; an indicator is frozen, so each is computed once.
@lru_cache(maxsize=4096)
def _params(ind: Indicator) -> tuple[float, ...]:
    values: list[float] = []
    for param in catalog.family_of(ind.kind).params:
        value = getattr(ind, param.field)
        values.append(value if value is not None else param.default)
    return tuple(values)


@lru_cache(maxsize=4096)
def _label(ind: Indicator) -> str:
    return ind._label()


@lru_cache(maxsize=4096)
def _var_name(ind: Indicator) -> str:
    return ind._var_name()


_SOURCED = frozenset(["sma", "ema", "wma", "tema", "roc", "sum", "highest", "lowest"])
_NATURAL_SOURCE = {"highest": "high", "lowest": "low"}


def _input_label(of: Indicator | str) -> str:
    return of.label() if isinstance(of, Indicator) else of


def _input_var(of: Indicator | str) -> str:
    return of.var_name() if isinstance(of, Indicator) else of


def _num(value: float) -> str:
    """20 -> '20', 2.5 -> '2.5' (labels never show '20.0')."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
