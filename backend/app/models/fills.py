"""How orders fill: the conventions a backtest's numbers rest on, stated once.

The generated code's header and the HTML report both print `fill_conventions(...)`, so what the user reads
is what ran. Two of them are execution parameters (`ExecutionParams.stop_slippage` and
`ExecutionParams.reenter_on_exit_bar`); their defaults are vectorbt's ``from_signals`` defaults, which is
how every backtest ran before they existed.

>>> [c.key for c in fill_conventions(FillParams())][:3]
['signal_fills', 'stop_checks', 'stop_fills']
>>> print(fill_conventions(FillParams(stop_slippage=True))[2].text)
Stop-loss, trailing-stop and take-profit orders fill at their level, or at the open when the bar gaps \
through it, then move against you by the slippage (0.1%) (stop_slippage: true).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class FillSettings(Protocol):
    """What the conventions depend on (`ExecutionParams` and `StrategySpec` both have these)."""

    @property
    def fees(self) -> float: ...
    @property
    def slippage(self) -> float: ...
    @property
    def stop_slippage(self) -> bool: ...
    @property
    def reenter_on_exit_bar(self) -> bool: ...


@dataclass(frozen=True)
class FillParams:
    """Stand-alone settings, for callers without an `ExecutionParams` (defaults are the API's)."""

    fees: float = 0.001
    slippage: float = 0.001
    stop_slippage: bool = False
    reenter_on_exit_bar: bool = False


@dataclass(frozen=True)
class FillConvention:
    key: str
    title: str
    text: str


def _pct(value: float) -> str:
    return f"{value * 100:g}%"


def fill_conventions(settings: FillSettings) -> list[FillConvention]:
    """The fill rules of a run, in the order a trader checks them."""
    slip = _pct(settings.slippage)
    stop_fill = (
        f"Stop-loss, trailing-stop and take-profit orders fill at their level, or at the open when the bar "
        f"gaps through it, then move against you by the slippage ({slip}) (stop_slippage: true)."
        if settings.stop_slippage
        else "Stop-loss, trailing-stop and take-profit orders fill exactly at their level, or at the open "
        "when the bar gaps through it; no slippage on these fills (stop_slippage: false)."
    )
    reentry = (
        "On a bar where a stop or take-profit filled, an entry signal of that bar is taken at its close "
        "(reenter_on_exit_bar: true)."
        if settings.reenter_on_exit_bar
        else "On a bar where a stop or take-profit filled, that bar's entry signals are ignored; the next "
        "position opens at a later signal (reenter_on_exit_bar: false)."
    )
    return [
        FillConvention(
            "signal_fills",
            "Signals",
            "A signal on a bar uses prices up to that bar's close and fills at that close, moved against you "
            f"by the slippage ({slip}); fees ({_pct(settings.fees)}) are charged on the traded value.",
        ),
        FillConvention(
            "stop_checks",
            "Stop checks",
            "Stops and targets are measured from the entry bar's close (an ATR distance uses the ATR of the "
            "entry bar) and checked from the next bar on against its open, high and low; when one bar "
            "touches both the stop and the target, the stop fills.",
        ),
        FillConvention("stop_fills", "Stop fills", stop_fill),
        FillConvention("reentry", "Entry on a stop bar", reentry),
        FillConvention(
            "same_bar",
            "Same-bar signals",
            "An entry and an exit signal of the same side on the same bar cancel out; a long and a short "
            "entry on the same bar while flat cancel out too.",
        ),
        FillConvention(
            "reversal",
            "Opposite entries",
            "An entry of the other side while a position is open reverses it at that bar's close: the "
            "position closes and the new side opens, sized like any entry from the cash after the close.",
        ),
    ]
