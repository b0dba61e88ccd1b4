"""StratCrew as tools for AI agents: an MCP server on the same services as the REST API.

Mounted on the FastAPI app at `/mcp` (streamable HTTP, the REST bearer token), and reachable from desktop
clients through the `stratcrew-mcp` stdio command (`app.mcp.stdio`). Each tool is a thin call into the
service its REST route calls, so ownership, validation and limits are the REST API's. See docs/mcp.md.

Layer: beside `app.api`; imports services, agents, models and core only.

This package module imports nothing: `stratcrew-mcp` (`app.mcp.stdio`) lives here too and must start
without the service (its settings, database, language, pandas...), so the app imports `app.mcp.face`.
"""
