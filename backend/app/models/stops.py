"""`Stops`: a strategy's exits by price, one type for the whole run (the spec builds it, the results
explain exits with it).

Distances are fractions inside (0.05 is 5 %), as the spec, the generated code (`sl_stop=0.05`) and the results
use them; percent only at the API edge, where the node graph says `"stop_pct": 5.0` (the language converts
it). A distance may instead be a multiple of the entry bar's Wilder ATR.

>>> Stops(stop_loss=Distance(fraction=0.05)).stop_loss.fraction
0.05
>>> Stops(trailing=Distance(atr_multiple=2.0, atr_period=10)).atr_periods()
{10}
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Distance:
    """How far a stop sits from its reference: a ``fraction`` (0.05 is 5 %) or ``atr_multiple`` x the Wilder
    ATR(``atr_period``) of the entry bar."""

    fraction: float | None = None
    atr_multiple: float | None = None
    atr_period: int = 14


@dataclass(frozen=True)
class Stops:
    stop_loss: Distance | None = None  # against the position, from the entry close
    take_profit: Distance | None = None  # in its favour, from the entry close
    trailing: Distance | None = None  # against it, from the best price since entry
    exit_after_bars: int | None = None  # the time limit: closed at the close of this bar after the entry

    def atr_periods(self) -> set[int]:
        found = (self.stop_loss, self.take_profit, self.trailing)
        return {d.atr_period for d in found if d is not None and d.atr_multiple is not None}
