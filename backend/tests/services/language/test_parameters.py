"""Named parameters in rules: ``{name=default}`` reads as its default in a normal run and shows in the
reading; a malformed one is refused where it stands."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.params import ExecutionParams
from app.services.language import build_spec, parse_graph, parse_rule
from app.services.language.errors import RuleNotUnderstood
from app.services.language.parameters import (
    conflicting_defaults,
    position_in_original,
    rule_parameters,
    substitute,
)
from app.services.language.spec import describe


def test_a_rule_with_parameters_reads_as_its_defaults() -> None:
    with_params = parse_rule("SMA({fast=10}) crosses above SMA({slow=50})")
    assert with_params == parse_rule("SMA(10) crosses above SMA(50)")
    assert describe(parse_rule("RSI({n=14}) below {low=30}")) == describe(parse_rule("RSI(14) below 30"))
    assert describe(parse_rule("Enter on a {drop=5}% price drop from the {w=20}-day moving average")) == (
        "close <= SMA(20) * 0.95"
    )


def test_the_reading_shows_the_parameters() -> None:
    graph = parse_graph(
        {
            "nodes": [
                {
                    "id": "e",
                    "type": "entry_condition",
                    "meta": {"rules": ["SMA({fast=10}) crosses above SMA({slow=50})"]},
                },
                {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
            ]
        }
    )
    params = ExecutionParams(symbols=["SPX"], start_date=date(2010, 1, 1), end_date=date(2012, 1, 1))
    rule = build_spec(graph, params).entries[0].rules[0]
    assert rule.text == "SMA({fast=10}) crosses above SMA({slow=50})"
    assert rule.understood == "SMA(10) crosses above SMA(50), with fast = 10, slow = 50"


def test_substitution_and_discovery() -> None:
    text = "close above SMA({w=20}) * {k=1.02} and RSI({w=20}) below 40"
    assert [(p.name, p.default) for p in rule_parameters(text)] == [("w", 20.0), ("k", 1.02), ("w", 20.0)]
    assert substitute(text, {"w": 50, "k": 0.98}) == "close above SMA(50) * 0.98 and RSI(50) below 40"
    assert conflicting_defaults(["SMA({n=10})", "EMA({n=12})"]) == ("n", 10.0, 12.0)
    assert conflicting_defaults(["SMA({n=10})", "EMA({n=10})"]) is None


def test_errors_point_into_the_original_text() -> None:
    text = "SMA({fast=10}) crosses sideways SMA({slow=50})"
    plain = "SMA(10) crosses sideways SMA(50)"
    with pytest.raises(RuleNotUnderstood) as where_plain:
        parse_rule(plain, "e")
    with pytest.raises(RuleNotUnderstood) as caught:
        parse_rule(text, "e")
    assert caught.value.fields["rule"] == text
    stopped = where_plain.value.fields["position"]
    assert stopped > 7  # after "SMA(10) "
    assert caught.value.fields["position"] == stopped + len("{fast=10}") - len("10")
    assert text[caught.value.fields["position"] :] == plain[stopped:].replace("SMA(50)", "SMA({slow=50})")
    assert position_in_original("SMA({fast=10}) x", 4) == 4  # inside the number: at the "{"


@pytest.mark.parametrize(
    "text", ["SMA({fast}) crosses above SMA(50)", "RSI(14) below {low=}", "close > {=3}"]
)
def test_a_malformed_parameter_is_refused_where_it_stands(text: str) -> None:
    with pytest.raises(RuleNotUnderstood) as caught:
        parse_rule(text, "e")
    assert caught.value.fields["position"] == text.index("{")
    assert "{name=default}" in caught.value.message
