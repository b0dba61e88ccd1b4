"""The whole path an agent takes, through the MCP tools alone: the "backtest this idea" prompt, the language
reference, rule checks (with a fix from the suggestion), a saved strategy, a run, its results and its report.
The agent's choices are scripted here; the service answers are real."""

from __future__ import annotations

import re

import pytest
from pydantic import AnyUrl

from tests.mcp.client import error, mcp_session, ok, text_of
from tests.utils.live_server import LiveServer

IDEA = "Buy the S&P 500 when RSI is oversold but the long-term trend is up; take 8% profit, cut losses at 4%."


async def test_plain_language_idea_to_backtest_result_to_report(
    server: LiveServer, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        prompts = {p.name: p for p in (await session.list_prompts()).prompts}
        assert {a.name for a in prompts["backtest_this_idea"].arguments or []} >= {"idea", "symbols"}
        prompt = await session.get_prompt(
            "backtest_this_idea",
            {"idea": IDEA, "symbols": "SPX", "start_date": "2005-01-01", "end_date": "2015-12-31"},
        )
        brief = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert IDEA in brief and "2005-01-01" in brief
        for tool in ("validate_rule", "create_strategy", "run_backtest", "get_results"):
            assert tool in brief
        assert "RSI(14) below 30 -> RSI(14) < 30" in brief  # the language reference travels with it

        reference = ok(await session.call_tool("rule_language", {}))
        assert any("RSI" in p["rule"] for p in reference["phrasings"])

        # the agent's first wording is not understood; the error's suggestion shows the phrasing to use
        first_try = error(
            await session.call_tool("validate_rule", {"rule": "RSI is oversold and trend is up"})
        )
        assert first_try["error"] == "RuleNotUnderstood" and "RSI" in (first_try["suggestion"] or "")
        rule = "RSI below 30 and close above the 200-day SMA"
        check = ok(await session.call_tool("validate_rule", {"rule": rule}))
        assert check["understood"] == "RSI(14) < 30 and close > SMA(200)"

        graph = {
            "nodes": [
                {"id": "entry", "type": "entry_condition", "meta": {"rules": [rule]}},
                {"id": "tp", "type": "take_profit", "meta": {"target_pct": 8.0}},
                {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 4.0}},
            ]
        }
        strategy = ok(
            await session.call_tool("create_strategy", {"name": "Oversold in an uptrend", "graph": graph})
        )
        assert [r["understood"] for r in strategy["rules"]] == [check["understood"]]

        params = {"symbols": ["SPX"], "start_date": "2005-01-01", "end_date": "2015-12-31"}
        result = await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "params": params})
        run = ok(result)
        assert run["status"] == "completed" and isinstance(run["warnings"], list)
        assert set(run["indicators_used"]) == {"RSI(14)", "SMA(200)"}
        links = [block for block in result.content if block.type == "resource_link"]
        assert [str(link.uri) for link in links] == [run["report_uri"], run["bundle_uri"]]

        results = ok(await session.call_tool("get_results", {"execution_id": run["execution_id"]}))
        assert results["metrics"]["total_return"] == run["metrics"]["total_return"]
        assert all(
            t["exit_reason"] in {"take_profit", "stop_loss", "end_of_data", "signal"}
            for t in results["trades"]
        )
        reasons = {t["exit_reason"] for t in results["trades"]}
        assert reasons & {"take_profit", "stop_loss"}  # the 8 % / 4 % exits really fired

        report = await session.read_resource(AnyUrl(run["report_uri"]))
    html = report.contents[0].text  # type: ignore[union-attr]
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Oversold in an uptrend - backtest report</title>" in html
    total = run["metrics"]["total_return"]
    assert f"{total:,.2f}" in html  # the headline number the tool answered is the report's
    summary = text_of(result).split("\n", 1)[0]
    assert re.search(rf"total return {re.escape(str(total))}%", summary)
    if run["warnings"]:
        assert all(w in summary for w in run["warnings"])
    else:
        assert "No warnings" in summary


@pytest.mark.parametrize("idea", ["", "x" * 4001])
async def test_the_prompt_refuses_an_empty_or_huge_idea(
    server: LiveServer, headers: dict[str, str], idea: str
) -> None:
    from mcp.shared.exceptions import McpError

    async with mcp_session(server.http_url, headers) as session:
        with pytest.raises(McpError, match="idea"):
            await session.get_prompt("backtest_this_idea", {"idea": idea})
