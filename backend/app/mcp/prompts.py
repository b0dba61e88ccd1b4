"""Prompts: "backtest this idea", the whole path from a plain-language strategy to a read result."""

from __future__ import annotations

from typing import Annotated

from mcp.server.fastmcp import FastMCP
from pydantic import Field

from app.mcp.reference import language_reference, summary
from app.models.params import ExecutionParams

_DEFAULTS = ExecutionParams()


def register(mcp: FastMCP) -> None:
    @mcp.prompt(name="backtest_this_idea", title="Backtest this idea")
    def backtest_this_idea(
        idea: Annotated[
            str, Field(min_length=1, max_length=4000, description="The strategy, in plain words.")
        ],
        symbols: Annotated[str, Field(description="Comma-separated symbols (see list_symbols).")] = ",".join(
            _DEFAULTS.symbols
        ),
        start_date: Annotated[
            str, Field(description="First day, YYYY-MM-DD.")
        ] = _DEFAULTS.start_date.isoformat(),
        end_date: Annotated[str, Field(description="Last day, YYYY-MM-DD.")] = _DEFAULTS.end_date.isoformat(),
    ) -> str:
        """Turns a plain-language trading idea into a StratCrew strategy, checks every rule, backtests it and
        reads the result with its warnings."""
        wanted = [s.strip() for s in symbols.split(",") if s.strip()]
        return f"""Backtest this trading idea with the StratCrew tools, then explain the result.

Idea: {idea}
Symbols: {", ".join(wanted)}; from {start_date} to {end_date}.

Steps:
1. Turn the idea into strategy nodes: an entry_condition with plain-language rules, and where the idea says
   so an exit_condition, stop_loss (stop_pct), take_profit (target_pct), trailing_stop (trail_pct) and
   position_sizing. Phrase each rule like the examples below. Say which assumptions you made (periods,
   thresholds) where the idea is vague.
2. Call validate_rule on every rule. If one is not understood, rephrase it using the error's `expected` and
   `suggestion`, and validate again. Check that each `understood` line means what the idea meant.
3. Call create_strategy with a short name and the graph {{"nodes": [...]}}; check its rule readings.
4. Call run_backtest with that strategy id and params {{"symbols": {wanted!r}, "start_date": "{start_date}",
   "end_date": "{end_date}"}}. If it fails, the error names the node, rule or line: fix it (update_strategy)
   and run again.
5. Read the answer: total return against the benchmark, CAGR, Sharpe, max drawdown, win rate, trade count.
   Read every warning and say what it means for how far the numbers can be trusted. Use get_results for
   the trades and why each one closed if they matter to the idea.
6. Give the report resource (stratcrew://executions/<execution id>/report) and the execution id.

The strategy language (from rule_language):
{summary(language_reference())}
"""
