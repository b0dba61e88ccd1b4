"""Settings of the MCP face at /mcp (`Settings.mcp`, from `MCP_<FIELD>`, e.g. `MCP_RUN_WAIT_S=900`); see
docs/mcp.md. The `stratcrew-mcp` relay's own settings (`STRATCREW_*`) are the client's, in `app.mcp.stdio`.

>>> McpSettings(allowed_hosts="api.example.com:443, localhost:*").host_list()
['api.example.com:443', 'localhost:*']
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class McpSettings(BaseModel):
    enabled: bool = Field(default=True, description="Serve the MCP endpoint at /mcp.")
    allowed_hosts: str = Field(
        default="",
        description="Comma-separated Host values /mcp accepts (host:port, host:*); empty: any (every request "
        "needs a bearer token, which a DNS-rebinding page cannot have).",
    )
    max_sessions: int = Field(default=1000, gt=0, description="Open MCP sessions at most; more answer 503.")
    session_idle_timeout_s: float = Field(default=1800.0, gt=0, description="An idle MCP session ends.")
    run_wait_s: float = Field(
        default=600.0, gt=0, description="run_backtest waits this long for the end, then answers the status."
    )

    def host_list(self) -> list[str]:
        return [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]
