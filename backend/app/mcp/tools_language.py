"""Tools over the strategy language: rule_language (what can be said), validate_rule (what a rule says)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.reference import LanguageReference, language_reference, summary
from app.models.params import Timeframe
from app.models.rules import CustomIndicatorIn, RuleCheck, RuleCheckResult
from app.services import indicators, rule_check

Ctx = Context[Any, Any, Any]
_FIELDS = RuleCheck.model_fields  # the REST request's own fields: the same limits, the same messages


def register(mcp: FastMCP, caller: Caller) -> None:
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

    @mcp.tool(annotations=read_only)
    async def rule_language(ctx: Ctx) -> Annotated[CallToolResult, LanguageReference]:
        """How to write a strategy: the node types and their fields, rules the grammar reads grouped by
        family (each with what it becomes), every indicator with its names, parameters and formula, and
        run_backtest's parameters. Call it before writing rules."""
        async with caller.call(ctx):
            reference = language_reference()
        return answer(summary(reference), reference)

    @mcp.tool(annotations=read_only)
    async def validate_rule(
        rule: Annotated[str, _FIELDS["rule"]],
        ctx: Ctx,
        timeframe: Annotated[Timeframe, _FIELDS["timeframe"]] = "1d",
        custom_indicators: Annotated[list[CustomIndicatorIn], _FIELDS["custom_indicators"]] = [],  # noqa: B006
    ) -> Annotated[CallToolResult, RuleCheckResult]:
        """Reads one plain-language rule the way a run will (POST /strategies/rules/validate). Answers the
        `understood` line (check it means what you meant), the typed condition, a time limit or stop the
        rule states, and unit notes; or an error with the position where reading stopped, what was
        expected there and a phrasing the grammar reads. Your saved custom indicators (REST `/indicators`)
        may be named; `custom_indicators` of the same name win."""
        body = RuleCheck.model_validate(
            {"rule": rule, "timeframe": timeframe, "custom_indicators": custom_indicators}
        )
        async with caller.call(ctx) as call:
            check = rule_check.check(body, await indicators.library_for(call.session, call.user.id))
        notes = f" ({'; '.join(check.notes)})" if check.notes else ""
        return answer(f"Understood {rule!r} as: {check.understood}{notes}", check)
