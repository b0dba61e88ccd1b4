"""Writes app/services/sandbox/policy_allowlist.json from policy_rules.py and the installed libraries: each
module path's allowed names, and every public attribute of the values strategy code handles (pandas and
numpy objects, vectorbt's portfolio, records and indicators, datetimes, builtin containers, the sweep
kernel's classes), minus every refused name and every attribute that is a module.

    cd backend && python -m scripts.policy_tables          # rewrite the file
    cd backend && python -m scripts.policy_tables --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import types
import warnings
from pathlib import Path
from typing import Any

from app.services.sandbox.policy_rules import COLUMN_ATTRIBUTES, MODULES, refusal

TARGET = Path(__file__).resolve().parents[1] / "app/services/sandbox/policy_allowlist.json"
# How a path is reached in a script vs. where the module really lives.
REAL_PATHS = {
    "pandas.offsets": "pandas.tseries.offsets",
    "stratcrew_research": "app.services.research.kernel",
}


def _public(obj: Any) -> set[str]:
    names = set()
    try:
        listed = dir(obj)
    except Exception:  # pandas lists accessors by building them; some refuse a float frame (`.signals`)
        listed = dir(type(obj))
    for name in listed:
        if name.startswith("_") or refusal(name) is not None:
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # properties that need state (a record's open trades, ...) are still attributes
            value = None
        if not isinstance(value, types.ModuleType):
            names.add(name)
    return names


def module_tables() -> dict[str, list[str]]:
    tables = {}
    for path, spec in MODULES.items():
        if spec == "*":
            names = _public(importlib.import_module(REAL_PATHS.get(path, path)))
        else:
            assert not isinstance(spec, str)
            refused = sorted(n for n in spec if refusal(n) is not None)
            assert not refused, f"{path}: listed names are refused: {refused}"
            names = set(spec)
        names |= {p[len(path) + 1 :] for p in MODULES if p.rpartition(".")[0] == path}  # submodules
        tables[path] = sorted(names)
    return tables


def _samples() -> list[Any]:
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    from app.services.research import kernel

    index = pd.date_range("2020-01-01", periods=60, freq="B", tz="UTC")
    close = pd.Series(np.linspace(100, 130, 60) + np.sin(np.arange(60)) * 3, index=index, name="SPX")
    frame = pd.DataFrame({"Open": close, "High": close + 1, "Low": close - 1, "Close": close, "Volume": 1e6})
    entries, exits = close > close.shift(), close < close.shift()
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000, freq="1D")
    indicators = [
        vbt.MA.run(close, 5), vbt.MSTD.run(close, 5), vbt.BBANDS.run(close), vbt.RSI.run(close),
        vbt.STOCH.run(frame.High, frame.Low, close), vbt.MACD.run(close),
        vbt.ATR.run(frame.High, frame.Low, close), vbt.OBV.run(close, frame.Volume),
    ]  # fmt: skip
    vbt_classes = [getattr(vbt, n) for n in sorted(MODULES["vectorbt"]) if n != "portfolio"]
    kernel_classes = [kernel.Grid, kernel.Market, kernel.SweepPlan, kernel.WalkForward, kernel.SweepOutcome]
    return [
        close, frame, frame.index, frame.columns, pd.MultiIndex.from_tuples([("a", 1)]), pd.RangeIndex(3),
        index[0], index[1] - index[0], index[0].to_period("D"), pd.offsets.BDay(), pd.Categorical(["a"]),
        close.rolling(3), close.expanding(), close.ewm(span=3), close.groupby(close > 110),
        frame.groupby("Volume"), close.resample("W"), frame.resample("W"), pd.Series(["a"]).str,
        pd.Series(index), pd.Series(index).dt, frame.iloc, frame.loc, frame.at, frame.iat,
        np.arange(3.0), np.float64(1), np.int64(1), np.bool_(True), np.dtype(float), np.random.default_rng(0),
        np.finfo(float), np.iinfo(int), "", b"", [], {}, (), set(), frozenset(), 1, 1.0, True, 1j, slice(1),
        ValueError("x"), range(1), {}.keys(), {}.values(), {}.items(), dt.date(2020, 1, 1),
        dt.datetime(2020, 1, 1),
        dt.time(), dt.timedelta(1), dt.UTC, pf, pf.trades, pf.orders, pf.positions, pf.drawdowns,
        pf.logs, pf.entry_trades, pf.exit_trades, pf.trades.pnl, pf.wrapper, close.vbt, frame.vbt,
        entries.vbt.signals, close.vbt.returns, frame.vbt.ohlcv, *indicators, *vbt_classes, *kernel_classes,
    ]  # fmt: skip


def value_attributes() -> list[str]:
    names = set(COLUMN_ATTRIBUTES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading every attribute touches deprecated ones
        for sample in _samples():
            names |= _public(sample)
    return sorted(names)


def build() -> dict[str, Any]:
    return {"modules": module_tables(), "values": value_attributes()}


def render(tables: dict[str, Any]) -> str:
    return json.dumps(tables, indent=0, sort_keys=True) + "\n"


def main() -> int:
    text = render(build())
    if "--check" in sys.argv:
        return 0 if TARGET.read_text() == text else 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
