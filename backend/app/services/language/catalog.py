"""The indicator catalog: what each indicator is called, its parameters, its formula, its code.

This is the one place to extend when adding an indicator: add a `Family` to `catalog_families.py` (its
names in rules, its parameters in order with defaults, its outputs, its formula and how it differs from
TA-Lib, the pandas lines that compute it) and its kind to `IndicatorKind` in `indicators.py`. The reader
(`series.py`), the refusal of extra parameters, labels, warm-up, the generated code, the docs check and
the list of known indicators in error messages all come from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from app.services.language.indicators import Indicator

# What an indicator's values are measured in; a percent literal compared with it is read accordingly:
# "points" (0-100 oscillators, CCI) and "percent" (ROC) take "30%" as 30, "fraction" (%b, bandwidth)
# as 0.30; "price" and "volume" need a base ("5% above the 20-day SMA").
Unit = Literal["price", "volume", "points", "percent", "fraction"]
ParamField = Literal["period", "slow", "signal", "smooth", "std", "mult"]


@dataclass(frozen=True)
class Param:
    label: str  # how errors and docs name it: "length", "%K smoothing"
    field: ParamField  # the `Indicator` field that holds it
    default: float
    whole: bool = True  # a number of bars (a whole number >= 1)


@dataclass(frozen=True)
class Output:
    kind: str
    label: str  # "Stochastic %K": the reading shows label(params)
    words: tuple[str, ...] = ()  # phrases selecting this output of the family ("upper", "%k", "signal")
    unit: Unit = "price"
    bounds: tuple[float, float] | None = None  # used to refuse conditions that can never be true


@dataclass(frozen=True)
class Family:
    key: str
    title: str  # for the docs and the list of known indicators
    names: tuple[str, ...]  # phrases naming the family in a rule (after synonym folding), longest first
    params: tuple[Param, ...]
    outputs: tuple[Output, ...]
    formula: str
    talib: str  # how it differs from TA-Lib's function of the same name ("" when it does not)
    lines: Callable[[Indicator], list[str]]
    warmup: Callable[[Indicator], int]
    takes_input: bool = False  # can be taken of another series ("its 10-day average" of RSI)
    needs_period: bool = False  # no default window: "VWAP" alone on daily bars is ambiguous
    reader: Literal["generic", "special"] = "generic"  # "special": read by a dedicated reader in series.py
    extra_defaults: dict[str, float] = field(default_factory=dict)  # per-name defaults ("slow stochastic")

    def param_text(self) -> str:
        """'(length, %K smoothing, %D smoothing)' for error messages and docs."""
        return "(" + ", ".join(p.label for p in self.params) + ")" if self.params else "(no parameters)"


_FAMILIES: dict[str, Family] = {}
_BY_KIND: dict[str, Family] = {}
_OUTPUTS: dict[str, Output] = {}


def register(family: Family) -> Family:
    _FAMILIES[family.key] = family
    for out in family.outputs:
        _BY_KIND[out.kind] = family
        _OUTPUTS[out.kind] = out
    return family


def families() -> list[Family]:
    _load()
    return list(_FAMILIES.values())


def family_of(kind: str) -> Family:
    _load()
    return _BY_KIND[kind]


def output(kind: str) -> Output:
    _load()
    return _OUTPUTS[kind]


def kinds() -> list[str]:
    _load()
    return list(_OUTPUTS)


def known_names() -> list[str]:
    """Short names of every indicator, for 'unknown indicator' errors."""
    _load()
    return [f.title for f in _FAMILIES.values()]


def _load() -> None:
    if not _FAMILIES:
        from app.services.language import catalog_families  # noqa: F401  (registers on import)
