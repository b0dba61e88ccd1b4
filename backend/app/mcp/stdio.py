"""`stratcrew-mcp`: StratCrew for MCP clients that start their servers as commands (Claude Desktop, IDEs).

It runs no StratCrew of its own: it relays MCP messages between its stdin/stdout and a running service's
`/mcp` endpoint, unchanged (ids included), so requests, results, progress notifications and cancellations
all pass through, and every call is the service's, under the user of the token. Settings (environment):

    STRATCREW_URL        the service, e.g. http://127.0.0.1:8000 (`/mcp` is added unless given)
    STRATCREW_TOKEN      a bearer token (POST /auth/token), or instead:
    STRATCREW_USERNAME   and STRATCREW_PASSWORD: signs in at start (a token expires; these do not)
    STRATCREW_TIMEOUT_S  connect/write timeout in seconds (a run's answer may take longer; reads wait)

A refused token or an unreachable service is said on stderr (MCP clients show it) with exit status 1,
before any message is relayed.
"""

from __future__ import annotations

import logging
import sys

import anyio
import httpx
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from mcp.client.streamable_http import streamable_http_client
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("stratcrew-mcp")


class ClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STRATCREW_", extra="ignore", env_ignore_empty=True)

    url: str = "http://127.0.0.1:8000"
    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = 30.0

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/mcp") else f"{base}/mcp"

    @property
    def service(self) -> str:
        return self.endpoint.removesuffix("/mcp")


class ProxyError(Exception):
    """Why the relay cannot start, worded for the person configuring the MCP client."""


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="stratcrew-mcp: %(message)s")
    try:
        anyio.run(relay, ClientSettings())
    except ProxyError as exc:
        print(f"stratcrew-mcp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


async def relay(settings: ClientSettings) -> None:
    timeout = httpx.Timeout(
        settings.timeout_s, read=None
    )  # a run_backtest answer streams for as long as it runs
    async with httpx.AsyncClient(timeout=timeout) as http:
        token = await _token(http, settings)
        http.headers["Authorization"] = f"Bearer {token}"
        await _check_endpoint(http, settings)
        async with (
            stdio_server() as (local_in, local_out),
            streamable_http_client(settings.endpoint, http_client=http) as (remote_in, remote_out, _),
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(_pump, remote_in, local_out, "service")
            await _pump(local_in, remote_out, "client")  # the client closed stdin: the session is over
            tg.cancel_scope.cancel()


async def _pump(
    source: ObjectReceiveStream[SessionMessage | Exception], sink: ObjectSendStream[SessionMessage], side: str
) -> None:
    async for message in source:
        if isinstance(message, Exception):
            log.warning("unreadable message from the %s: %s", side, message)
            continue
        await sink.send(message)


async def _token(http: httpx.AsyncClient, settings: ClientSettings) -> str:
    if settings.token is not None:
        return settings.token.get_secret_value()
    if not settings.username or settings.password is None:
        raise ProxyError("set STRATCREW_TOKEN, or STRATCREW_USERNAME and STRATCREW_PASSWORD")
    form = {"username": settings.username, "password": settings.password.get_secret_value()}
    response = await _request(http, "POST", f"{settings.service}/auth/token", settings, data=form)
    if response.status_code != 200:
        raise ProxyError(f"signing in as {settings.username!r} failed: {_detail(response)}")
    return str(response.json()["access_token"])


async def _check_endpoint(http: httpx.AsyncClient, settings: ClientSettings) -> None:
    """A GET without a session: 401 for a refused token, 404 for no MCP endpoint; anything else means the
    token was accepted (the endpoint then refuses the GET itself, which is fine)."""
    response = await _request(
        http, "GET", settings.endpoint, settings, headers={"Accept": "text/event-stream"}
    )
    if response.status_code == 401:
        raise ProxyError(f"the service refused the token ({_detail(response)}); set a fresh STRATCREW_TOKEN")
    if response.status_code == 404:
        raise ProxyError(f"no MCP endpoint at {settings.endpoint} (is MCP_ENABLED false there?)")


async def _request(
    http: httpx.AsyncClient, method: str, url: str, settings: ClientSettings, **kwargs: object
) -> httpx.Response:
    try:
        return await http.request(method, url, timeout=settings.timeout_s, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise ProxyError(
            f"cannot reach StratCrew at {settings.service} ({exc!r}): is it running? STRATCREW_URL"
        ) from exc


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text)
    except ValueError:
        return f"HTTP {response.status_code}"


if __name__ == "__main__":
    sys.exit(main())
