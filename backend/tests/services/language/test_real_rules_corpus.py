"""The issue-14 measure: 120 real-world rules (real_rules_corpus.json, written before the grammar was read),
each read through the real pipeline and checked by what it computes against an independent reference.

Goals: none misread (a backtest of a strategy the user did not write), at least 90% read correctly; the
rules the price data cannot express are refused. The table of outcomes is printed when a goal fails.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest

from app.core.errors import DomainError
from app.services.language import build_spec, parse_graph
from tests.services.language.corpus_check import (
    SYMBOLS,
    Outcome,
    bars_of,
    classify,
    load_corpus,
    synthetic_like,
)
from tests.services.language.corpus_reference import Evaluator
from tests.services.language.helpers import Params, run_code

CORPUS = load_corpus()


@pytest.fixture(scope="module")
def outcomes(sp500: pd.DataFrame) -> list[Outcome]:
    frames = {"SPX": sp500, "SYN": synthetic_like(sp500)}
    assert tuple(frames) == SYMBOLS
    evaluators = {symbol: Evaluator(bars_of(frame)) for symbol, frame in frames.items()}
    return [classify(rule, evaluators, lambda code: run_code(code, frames)) for rule in CORPUS["rules"]]


def _table(outcomes: list[Outcome]) -> str:
    return "\n".join(f"{o.rule_id:3} {o.verdict:8} {o.text!r}: {o.detail[:200]}" for o in outcomes)


def test_the_corpus_is_the_committed_one() -> None:
    rules = CORPUS["rules"]
    assert len(rules) == 120 and len({r["text"] for r in rules}) == 120
    assert {r["side"] for r in rules} == {"entry", "exit", "stop"}


def test_no_rule_is_misread(outcomes: list[Outcome]) -> None:
    misread = [o for o in outcomes if o.verdict == "misread"]
    assert not misread, "misread rules:\n" + _table(misread)


def test_at_least_90_percent_are_read_correctly(outcomes: list[Outcome]) -> None:
    counts = Counter(o.verdict for o in outcomes)
    share = counts["correct"] / len(outcomes)
    print(f"\ncorpus: {dict(counts)}; correct share {share:.1%}")
    assert share >= 0.90, f"{dict(counts)}\n" + _table([o for o in outcomes if o.verdict != "correct"])


def test_every_refusal_says_why(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.verdict == "refused":
            assert outcome.text in outcome.detail or "rule" in outcome.detail, outcome


@pytest.mark.parametrize("item", CORPUS["must_refuse"], ids=[i["text"] for i in CORPUS["must_refuse"]])
def test_rules_the_data_cannot_express_are_refused(item: dict[str, Any]) -> None:
    graph = {"nodes": [{"id": "entry", "type": "entry_condition", "meta": {"rules": [item["text"]]}}]}
    with pytest.raises(DomainError) as info:
        build_spec(parse_graph(graph), Params())
    assert item["text"] in info.value.message
