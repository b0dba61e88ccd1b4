"""The bias check: do the script's signals use data from the future?

After a run, the script's signal-building part (every statement before it builds ``portfolio``) runs again
on the same bars cut at a few points; a signal computed honestly from bars up to t is the same whether or
not later bars exist, so the signals of each cut run must equal the full run's up to the cut. The first bar
where they differ is where the script looked ahead (``shift(-1)``, a centred window, a global
normalisation...). This is freqtrade's lookahead-analysis idea, done in the run's own sandboxed process,
on the signals only (no second backtest), so it costs a few indicator passes.
"""

from __future__ import annotations

import ast
from typing import Any

SIGNALS = ("entries", "exits", "short_entries", "short_exits")
# Where to cut, as shares of the bars. An early cut is cheap (its run is short); the host asks for one cut on
# generated code (whose indicators each have a no-look-ahead test) and three on edited code.
GENERATED_CUTS = (0.5,)
EDITED_CUTS = (0.25, 0.5, 0.75)
STOP_AT = ("portfolio", "sweep")


def signal_part(tree: ast.Module) -> ast.Module:
    """The statements before the first one that assigns ``portfolio`` (or ``sweep``)."""
    body = []
    for node in tree.body:
        targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets.append(node.target.id)
        if any(name in STOP_AT for name in targets):
            break
        body.append(node)
    return ast.Module(body=body, type_ignores=[])


def check(
    tree: ast.Module, frames: dict[str, Any], namespace: dict[str, Any], run: Any, cuts_at: Any = EDITED_CUTS
) -> dict[str, Any]:
    """``run(code, frames) -> namespace`` executes the signal part on the given bars."""
    import numpy as np
    import pandas as pd

    full = {n: namespace[n] for n in SIGNALS if isinstance(namespace.get(n), pd.DataFrame | pd.Series)}
    if not full:
        return {"checked": False, "reason": "the script leaves no entries or exits to check"}
    index = next(iter(full.values())).index
    if len(index) < 20:
        return {"checked": False, "reason": "too few bars to cut"}
    code = compile(signal_part(tree), "<strategy>", "exec")
    cuts = []
    for share in cuts_at:
        cut = index[int(len(index) * share)]
        cuts.append(cut.isoformat())
        trimmed = {symbol: frame.loc[:cut] for symbol, frame in frames.items()}
        try:
            again = run(code, trimmed)
        except Exception as exc:  # a script that cannot run on fewer bars: say so, do not fail the run
            return {
                "checked": False,
                "reason": f"the signals could not be recomputed on data cut at {cut}: {exc}",
            }
        for name, values in full.items():
            part = again.get(name)
            if not isinstance(part, pd.DataFrame | pd.Series):
                continue
            before = values.loc[:cut]
            other = part.reindex(before.index)
            same = np.asarray(before, dtype=bool) == np.asarray(other.fillna(False), dtype=bool)
            if same.ndim > 1:
                same = same.all(axis=1)
            if not same.all():
                first = before.index[int(np.argmin(same))]
                return {
                    "checked": True,
                    "passed": False,
                    "cuts": cuts,
                    "signal": name,
                    "first_changed_bar": first.isoformat(),
                    "cut": cut.isoformat(),
                    "message": (
                        f"Possible look-ahead: the {name.replace('_', ' ')} signal on {first.date()} changed "
                        f"when the data was cut at {cut.date()}: it depends on bars after it."
                    ),
                }
    return {"checked": True, "passed": True, "cuts": cuts}
