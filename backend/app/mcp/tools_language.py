"""Tools over the strategy language: rule_language (what can be said), validate_rule (what a rule says)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.reference import LanguageReference, language_reference, summary
from app.services.language import parse_rule
from app.services.language.spec import describe

Ctx = Context[Any, Any, Any]


class RuleCheck(BaseModel):
    rule: str
    understood: str = Field(
        description="The rule in the grammar's canonical wording: check it means what you meant."
    )
    condition: dict[str, Any] = Field(
        description="The typed condition the rule becomes in the strategy spec."
    )


def register(mcp: FastMCP, caller: Caller) -> None:
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

    @mcp.tool(annotations=read_only)
    async def rule_language(ctx: Ctx) -> Annotated[CallToolResult, LanguageReference]:
        """How to write a strategy: the node types and their fields, rules the grammar reads (each with what
        it becomes), the indicators it knows, and run_backtest's parameters. Call it before writing rules."""
        async with caller.call(ctx):
            reference = language_reference()
        return answer(summary(reference), reference)

    @mcp.tool(annotations=read_only)
    async def validate_rule(
        rule: Annotated[str, Field(min_length=1, max_length=2000, description="One plain-language rule.")],
        ctx: Ctx,
    ) -> Annotated[CallToolResult, RuleCheck]:
        """Reads one plain-language rule the way a run will (POST /strategies/rules/validate). Answers what it
        was understood as, or an error with the position where reading stopped, what was expected there and
        the closest phrasing the grammar reads."""
        async with caller.call(ctx):
            condition = parse_rule(rule)
        check = RuleCheck(
            rule=rule, understood=describe(condition), condition=condition.model_dump(mode="json")
        )
        return answer(f"Understood {rule!r} as: {check.understood}", check)
