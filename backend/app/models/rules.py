"""Shapes of a rule check (`POST /strategies/rules/validate`, MCP `validate_rule`)."""

from typing import Any

from pydantic import BaseModel, Field

from app.models.params import Timeframe


class CustomIndicatorIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    formula: str = Field(min_length=1, max_length=500)
    node_id: str = Field(
        default="", max_length=100, description="The node that draws it, named in the errors it causes."
    )


class RuleCheck(BaseModel):
    rule: str = Field(min_length=1, max_length=2000, description="One plain-language rule.")
    timeframe: Timeframe = Field(
        default="1d", description="Bar interval: days, weeks and months are converted to these bars."
    )
    custom_indicators: list[CustomIndicatorIn] = Field(
        default=[], max_length=50, description="Custom indicators the rule may name (the strategy's nodes)."
    )


class RuleCheckResult(BaseModel):
    ok: bool = True
    parsed: dict[str, Any] | None = Field(
        description="The condition as the spec stores it (null for a stop or a time limit written as a rule)."
    )
    understood: str = Field(description="One canonical line, e.g. 'RSI(14) crosses above 30'.")
    exit_after_bars: int | None = Field(default=None, description="A time limit the rule states, in bars.")
    price_exit: dict[str, Any] | None = Field(
        default=None, description="A stop the rule states, as its node."
    )
    notes: list[str] = Field(
        default=[], description="Unit conversions, e.g. '52 weeks = 1 year = 252 daily bars'."
    )
