"""WebSocket progress through a real uvicorn server and a real websocket client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from tests.utils.factories import create_strategy, execute, register, wait_final
from tests.utils.live_server import LiveServer

PARAMS = {"symbols": ["SPX"], "start_date": "2014-01-01", "end_date": "2016-12-31"}


@pytest.fixture(scope="module")
async def server(app) -> AsyncIterator[LiveServer]:  # type: ignore[no-untyped-def]
    live = LiveServer(app)
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
        yield client


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def collect(url: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "event":
                events.append(message)
            elif message["type"] == "end":
                return events, message
    return events, None


async def test_replay_after_completion_then_end(server: LiveServer, http: httpx.AsyncClient) -> None:
    headers = await register(http)
    strategy = await create_strategy(http, headers)
    execution = await execute(http, headers, strategy["id"], params=PARAMS)
    final = await wait_final(http, headers, execution["id"])
    events, end = await collect(f"{server.ws_url}/executions/{execution['id']}/ws?token={token_of(headers)}")
    assert end == {"type": "end", "status": final["status"]}
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["message"] for e in events] == final["execution_logs"]
    statuses = [e["status"] for e in events]
    for expected in ("analyzing", "generating_code", "executing", "completed"):
        assert expected in statuses
    assert all(0 <= e["progress"] <= 1 for e in events)
    assert [e["progress"] for e in events] == sorted(e["progress"] for e in events)

    tail, end = await collect(
        f"{server.ws_url}/executions/{execution['id']}/ws?token={token_of(headers)}&after={events[2]['seq']}"
    )
    assert [e["seq"] for e in tail] == [e["seq"] for e in events[3:]]
    assert end is not None


async def test_live_stream_in_order_with_many_watchers(server: LiveServer, http: httpx.AsyncClient) -> None:
    headers = await register(http)
    strategy = await create_strategy(http, headers)
    execution = await execute(http, headers, strategy["id"], params=PARAMS)
    url = f"{server.ws_url}/executions/{execution['id']}/ws?token={token_of(headers)}"
    results = await asyncio.wait_for(asyncio.gather(*(collect(url) for _ in range(50))), timeout=120)
    first = [e["seq"] for e in results[0][0]]
    assert first == list(range(1, len(first) + 1))
    for events, end in results:
        assert [e["seq"] for e in events] == first
        assert end is not None and end["status"] == "completed"


async def test_token_in_first_message(server: LiveServer, http: httpx.AsyncClient) -> None:
    headers = await register(http)
    strategy = await create_strategy(http, headers)
    execution = await execute(http, headers, strategy["id"], params=PARAMS)
    await wait_final(http, headers, execution["id"])
    async with websockets.connect(f"{server.ws_url}/executions/{execution['id']}/ws") as ws:
        await ws.send(json.dumps({"token": token_of(headers)}))
        first = json.loads(await ws.recv())
    assert first["type"] == "event" and first["seq"] == 1


async def test_unauthorised_watchers_are_refused(server: LiveServer, http: httpx.AsyncClient) -> None:
    owner = await register(http)
    intruder = await register(http)
    strategy = await create_strategy(http, owner)
    execution = await execute(http, owner, strategy["id"], params=PARAMS)
    base = f"{server.ws_url}/executions/{execution['id']}/ws"
    for url, code in ((f"{base}?token={token_of(intruder)}", 4404), (f"{base}?token=garbage", 4401)):
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    await wait_final(http, owner, execution["id"])


async def test_cancel_mid_run_is_streamed(server: LiveServer, http: httpx.AsyncClient) -> None:
    headers = await register(http)
    strategy = await create_strategy(http, headers)
    spin = "import vectorbt as vbt\nwhile True:\n    pass\n"
    execution = await execute(http, headers, strategy["id"], params=PARAMS, code=spin)
    url = f"{server.ws_url}/executions/{execution['id']}/ws?token={token_of(headers)}"
    watcher = asyncio.create_task(collect(url))
    for _ in range(400):
        if (await http.get(f"/executions/{execution['id']}", headers=headers)).json()[
            "status"
        ] == "executing":
            break
        await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    assert (await http.post(f"/executions/{execution['id']}/cancel", headers=headers)).status_code == 200
    events, end = await asyncio.wait_for(watcher, timeout=10)
    assert end == {"type": "end", "status": "cancelled"}
    assert asyncio.get_running_loop().time() - started < 2.0
    assert events[-1]["status"] == "cancelled"
