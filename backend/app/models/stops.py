"""`Stops`: a strategy's exits by price, one type for the whole run.

Fractions inside (0.05 is 5 %), as the spec, the generated code (`sl_stop=0.05`) and the results use them;
percent only at the API edge, where the node graph says `"stop_pct": 5.0` (the language converts it).

>>> Stops(stop_loss=0.05).stop_loss
0.05
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stops:
    stop_loss: float | None = None  # below the entry close
    take_profit: float | None = None  # above the entry close
    trailing: float | None = None  # below the highest high since entry
