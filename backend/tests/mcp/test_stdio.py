"""`stratcrew-mcp` end to end: spawned as a subprocess (as a desktop client would), relaying to the live
server with a token (or a username and password) from the environment."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from tests.mcp.client import DIP_BUYER, SEED_PARAMS, RecordingSession, cancel_request, ok, recording_session
from tests.utils.factories import register, wait_final
from tests.utils.live_server import LiveServer

BACKEND = Path(__file__).resolve().parents[2]
ENTRY_POINT = "app.mcp.stdio:main"


def command() -> list[str]:
    """The installed console script; where the shared venv predates it, the same call it makes."""
    scripts = tomllib.loads((BACKEND / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["stratcrew-mcp"] == ENTRY_POINT
    installed = Path(sys.executable).parent / "stratcrew-mcp"
    if installed.exists() and ENTRY_POINT.split(":")[0] in installed.read_text():
        return [str(installed)]
    return [sys.executable, "-c", "import sys; from app.mcp.stdio import main; sys.exit(main())"]


def environment(**settings: str) -> dict[str, str]:
    # PYTHONPATH: this checkout's `app`, whichever checkout the venv was installed from
    return {"PYTHONPATH": str(BACKEND), **{f"STRATCREW_{k.upper()}": v for k, v in settings.items()}}


@asynccontextmanager
async def stdio_session(**settings: str) -> AsyncIterator[RecordingSession]:
    program, *args = command()
    parameters = StdioServerParameters(
        command=program, args=args, env=environment(**settings), cwd=str(BACKEND)
    )
    async with stdio_client(parameters) as (read, write), recording_session(read, write) as session:
        yield session


async def test_stdio_command_runs_a_backtest_with_progress_and_reads_the_report(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    token = headers["Authorization"].split()[1]
    stages: list[str] = []

    async def progress(_value: float, _total: float | None, message: str | None) -> None:
        stages.append((message or "").split(":", 1)[0])

    async with stdio_session(url=server.http_url, token=token) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        strategy = ok(await session.call_tool("create_strategy", {"name": "Dip buyer", "graph": DIP_BUYER}))
        run = ok(
            await session.call_tool(
                "run_backtest",
                {"strategy_id": strategy["id"], "params": SEED_PARAMS},
                progress_callback=progress,
            )
        )
        report = await session.read_resource(AnyUrl(run["report_uri"]))
    assert {"run_backtest", "get_results", "validate_rule"} <= tools
    assert list(dict.fromkeys(stages)) == ["queued", "analyzing", "generating_code", "executing", "completed"]
    rest = (await http.get(f"/executions/{run['execution_id']}/results", headers=headers)).json()
    assert all(rest["metrics"][key] == value for key, value in run["metrics"].items())
    assert report.contents[0].text.startswith("<!DOCTYPE html>")  # type: ignore[union-attr]
    owned = (await http.get(f"/strategies/{strategy['id']}", headers=headers)).json()
    assert owned["id"] == strategy["id"]  # made as the token's user


async def test_stdio_command_relays_cancellation(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    executing = asyncio.Event()

    async def progress(_value: float, _total: float | None, message: str | None) -> None:
        if (message or "").startswith("executing"):
            executing.set()

    spin = "import vectorbt as vbt\nwhile True:\n    pass\n"
    async with stdio_session(
        url=f"{server.http_url}/mcp", token=headers["Authorization"].split()[1]
    ) as session:
        strategy = ok(await session.call_tool("create_strategy", {"name": "Spin", "graph": DIP_BUYER}))
        call = asyncio.create_task(
            session.call_tool(
                "run_backtest", {"strategy_id": strategy["id"], "code": spin}, progress_callback=progress
            )
        )
        await asyncio.wait_for(executing.wait(), 60)
        await cancel_request(session, session.sent["tools/call"][-1])
        with pytest.raises(McpError, match="cancelled"):
            await asyncio.wait_for(call, 10)
    listed = (await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)).json()
    assert (await wait_final(http, headers, listed[0]["id"], timeout_s=10))["status"] == "cancelled"


async def test_stdio_command_signs_in_with_username_and_password(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    username = "desk_" + __import__("secrets").token_hex(4)
    await register(http, username)
    async with stdio_session(
        url=server.http_url, username=username, password="correct horse battery"
    ) as session:
        listed = ok(await session.call_tool("list_strategies", {}))
    assert listed == {"strategies": []}


@pytest.mark.parametrize(
    ("client_env", "message"),
    [
        ({"token": "not-a-token"}, "the service refused the token (Invalid token)"),
        ({}, "set STRATCREW_TOKEN, or STRATCREW_USERNAME and STRATCREW_PASSWORD"),
        (
            {"username": "nobody", "password": "wrong"},
            "signing in as 'nobody' failed: Incorrect username or password",
        ),
    ],
)
async def test_stdio_command_says_why_it_cannot_start(
    server: LiveServer, client_env: dict[str, str], message: str
) -> None:
    code, stderr = await run_to_exit({"url": server.http_url, **client_env})
    assert code == 1 and message in stderr


async def test_stdio_command_says_when_the_service_is_unreachable() -> None:
    code, stderr = await run_to_exit({"url": "http://127.0.0.1:9", "token": "x"})
    assert code == 1 and "cannot reach StratCrew at http://127.0.0.1:9" in stderr


async def run_to_exit(settings: dict[str, str]) -> tuple[int, str]:
    program, *args = command()
    env = {"PATH": "/usr/bin:/bin", **environment(**settings)}
    process = await asyncio.create_subprocess_exec(
        program, *args, env=env, stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(b""), 60)
    return int(process.returncode or 0), stderr.decode()


def test_stdio_command_starts_without_the_service() -> None:
    """The relay imports neither the app's settings, database and services nor pandas: a desktop client
    starts it on each launch (regression: `app.mcp` imported the whole face, about 1.9 s; now about 0.5 s)."""
    probe = "import sys, app.mcp.stdio; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", probe],
            env=environment(),
            cwd=BACKEND,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
    )
    assert sorted(m for m in loaded if m.startswith("app.")) == ["app.mcp", "app.mcp.stdio"]
    assert not loaded & {"pandas", "numpy", "sqlalchemy", "sqlmodel", "fastapi", "numba", "crewai"}
