"""Reads each corpus rule through the real pipeline (node graph -> spec -> generated code) and classifies it
against its expected meaning: ``correct``, ``misread`` (accepted, but computes something else) or
``refused`` (a RuleNotUnderstood / ImpossibleStrategy with its message).

Signals are computed by the generated code itself (its indicator and signal sections, run in-process) on
two symbols: the real S&P 500 bars, and a seeded synthetic random walk whose opens gap away from the
previous close (the index's opens almost never do), and must equal the reference bar for bar on both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.core.errors import DomainError
from app.services.language import build_spec, compile_spec, parse_graph
from tests.services.language.corpus_reference import Evaluator, NoReference, Stop, TimeExit
from tests.services.language.helpers import Params

CORPUS_PATH = Path(__file__).with_name("real_rules_corpus.json")
PLACEHOLDER_ENTRY = "close above SMA(10)"


def load_corpus() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CORPUS_PATH.read_text())
    return data


@dataclass(frozen=True)
class Outcome:
    rule_id: int
    text: str
    verdict: str  # "correct" | "misread" | "refused"
    detail: str


SYMBOLS = ("SPX", "SYN")


def bars_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name.lower(): frame[name].to_numpy() for name in ("Open", "High", "Low", "Close", "Volume")}


def synthetic_like(frame: pd.DataFrame, seed: int = 14) -> pd.DataFrame:
    """A random walk on ``frame``'s dates with gapping opens, wicks and varying volume."""
    rng = np.random.default_rng(seed)
    n = len(frame)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    prev = np.concatenate([[100.0], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.008, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, n)))
    volume = np.round(1e6 * np.exp(rng.normal(0, 0.4, n)))
    columns = {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}
    return pd.DataFrame(columns, index=frame.index)


def signal_section(code: str) -> str:
    """The generated script up to its signals (the portfolio is not what the corpus checks)."""
    found = re.search(r"\n# Backtest[:,]", code)
    assert found is not None and "entries = " in code[: found.start()], (
        "the generated script's layout changed"
    )
    return code[: found.start()]


def _graph(side: str, text: str) -> dict[str, Any]:
    if side == "entry":
        return {"nodes": [{"id": "entry", "type": "entry_condition", "meta": {"rules": [text]}}]}
    return {
        "nodes": [
            {"id": "entry", "type": "entry_condition", "meta": {"rules": [PLACEHOLDER_ENTRY]}},
            {"id": "exit", "type": "exit_condition", "meta": {"rules": [text]}},
        ]
    }


def spec_stops(spec: Any) -> list[Stop]:
    """The stops a spec carries, in the corpus's terms."""
    found = []
    for kind in ("stop_loss", "trailing_stop", "take_profit"):
        value = getattr(spec, kind, None)
        if value is not None:
            found.append(Stop(kind, pct=round(value * 100, 9)))
        atr = getattr(spec, f"{kind}_atr", None)
        if atr is not None:
            found.append(Stop(kind, atr=atr.multiple, period=atr.period))
    return found


def classify(
    rule: dict[str, Any], evaluators: dict[str, Evaluator], run: Callable[[str], dict[str, Any]]
) -> Outcome:
    rid, text, side = rule["id"], rule["text"], rule["side"]
    try:
        spec = build_spec(parse_graph(_graph(side, text)), Params(symbols=list(SYMBOLS)))
    except DomainError as exc:
        return Outcome(rid, text, "refused", exc.message)
    understood = "; ".join(r.understood for rs in [*spec.entries, *spec.exits] for r in rs.rules)
    try:
        expected_by = {symbol: ev.evaluate(rule["expect"]) for symbol, ev in evaluators.items()}
    except NoReference as exc:
        return Outcome(rid, text, "misread", f"accepted ({understood}) but has no reference for {exc}")
    expected = expected_by[SYMBOLS[0]]
    if isinstance(expected, Stop):
        stops = spec_stops(spec)
        exit_rules = [r for rs in spec.exits for r in rs.rules]
        ok = stops == [expected] and not exit_rules
        return Outcome(rid, text, "correct" if ok else "misread", f"stops {stops}; rules: {understood}")
    namespace = run(signal_section(compile_spec(spec)))
    target = "entries" if side == "entry" else "exits"
    if isinstance(expected, TimeExit):
        held = spec.exit_after_bars
        if held != expected.bars:
            return Outcome(rid, text, "misread", f"time limit {held}, want {expected.bars}; {understood}")
        if expected.signal is None:
            ok = not [r for rs in spec.exits for r in rs.rules]
            return Outcome(rid, text, "correct" if ok else "misread", understood)
    wants = {symbol: (e.signal if isinstance(e, TimeExit) else e) for symbol, e in expected_by.items()}
    return _compare(rid, text, namespace[target], wants, understood)


def _compare(rid: int, text: str, got: pd.DataFrame, wants: dict[str, Any], understood: str) -> Outcome:
    if sum(int(np.sum(w)) for w in wants.values()) == 0:
        return Outcome(rid, text, "misread", f"the expectation never fires on the data: {understood}")
    for symbol, want in wants.items():
        diff = np.flatnonzero(got[symbol].to_numpy().astype(bool) != np.asarray(want, dtype=bool))
        if len(diff):
            first = diff[:5].tolist()
            return Outcome(
                rid, text, "misread", f"{understood}: {symbol}: {len(diff)} bars differ (first {first})"
            )
    return Outcome(rid, text, "correct", understood)
