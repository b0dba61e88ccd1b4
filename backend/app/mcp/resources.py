"""Resources addressable by execution id: a run's HTML report and its reproducibility bundle.

    stratcrew://executions/{execution_id}/report   text/html, self-contained (plotly inlined), opens offline
    stratcrew://executions/{execution_id}/bundle   application/json: spec, code, params, data hashes, versions

Both are the REST views (`GET /executions/{id}/report`, `/bundle`), with the same ownership: another user's
execution is "not found".
"""

from __future__ import annotations

import json

from mcp.server.fastmcp import Context, FastMCP

from app.mcp.backend import Caller
from app.services import executions, report_links, result_views

# `ctx: Context` bare: the SDK wraps resource functions in pydantic's validate_call, which rebuilds an
# instance of a parametrised `Context[...]` and loses the request it carries.


def register(mcp: FastMCP, caller: Caller) -> None:
    @mcp.resource(
        "stratcrew://executions/{execution_id}/report",
        name="report",
        title="Backtest report",
        mime_type="text/html",
    )
    async def report(execution_id: str, ctx: Context) -> str:  # type: ignore[type-arg]
        """A completed run's report: metrics and warnings, equity against the benchmark, drawdown, monthly
        returns and trades, as one HTML page that opens offline."""
        async with caller.call(ctx) as call:
            return await report_links.report_of(call.session, call.user, execution_id)

    @mcp.resource(
        "stratcrew://executions/{execution_id}/bundle",
        name="bundle",
        title="Reproducibility bundle",
        mime_type="application/json",
    )
    async def bundle(execution_id: str, ctx: Context) -> str:  # type: ignore[type-arg]
        """What it takes to reproduce a completed run: the spec and the code that ran with their hashes,
        the params, each symbol's data source and content hash, library versions, the LLM and the seed."""
        async with caller.call(ctx) as call:
            execution = await executions.get_owned(call.session, call.user, execution_id)
            run = await executions.get_results(call.session, call.user, execution_id)
        return json.dumps(result_views.bundle(execution, run), indent=2, default=str)
