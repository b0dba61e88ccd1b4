"""Reading one rule the way a run will, for a client to check it before saving (REST and MCP alike)."""

from __future__ import annotations

from collections.abc import Sequence

from app.models.rules import RuleCheck, RuleCheckResult
from app.services.language import SavedIndicator, context_for, read_rule


def check(body: RuleCheck, saved: Sequence[SavedIndicator] = ()) -> RuleCheckResult:
    """What the rule was understood as; raises `RuleNotUnderstood` (position, expected, suggestion).

    ``saved`` is the user's library; the body's custom indicators (the strategy's nodes) win over a saved
    one of the same name."""
    drawn = [SavedIndicator(c.name, c.formula, c.node_id) for c in body.custom_indicators]
    names = {c.name.lower() for c in drawn}
    library = [*drawn, *(s for s in saved if s.name.lower() not in names)]
    reading = read_rule(body.rule, context=context_for(body.timeframe, library))
    stop = reading.price_exit
    return RuleCheckResult(
        parsed=reading.condition.model_dump(mode="json") if reading.condition is not None else None,
        understood=reading.understood,
        exit_after_bars=reading.exit_after_bars,
        price_exit={"type": stop.kind, "pct": stop.pct, "atr": stop.atr, "atr_period": stop.atr_period}
        if stop is not None
        else None,
        notes=list(reading.notes),
    )
