"""What the scale tests do as clients: submit executions, watch them as a browser would (reconnecting with
`after` when told to or when the server goes away), and read the database directly to check the outcome
independently of the API."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import websockets

from tests.scale.topology import Proc, Topology
from tests.utils.factories import create_strategy, register

PARAMS = {"symbols": ["SPX"], "start_date": "2015-01-01", "end_date": "2016-12-31"}

# Edited code whose vectorbt kernels the sandbox's warm-up compiles, so a run costs ~0.2 s of CPU and the
# tests measure the queue and the event transport rather than numba compiling in every sandbox child.
WARM_CODE = """import pandas as pd
import vectorbt as vbt


def load_data(symbol: str) -> pd.DataFrame:
    raise NotImplementedError


close = load_data("SPX")["Close"].loc["2015-01-01":"2016-12-31"]
fast = vbt.MA.run(close, 10)
slow = vbt.MA.run(close, 30, ewm=True)
entries = fast.ma_crossed_above(slow)
exits = fast.ma_crossed_below(slow)
# busy: spin
portfolio = vbt.Portfolio.from_signals(
    close, entries, exits, sl_stop=0.05, tp_stop=0.1, fees=0.001, slippage=0.001, init_cash=10_000, freq="1D"
)
"""


def slow_code(seconds: float) -> str:
    """The warm code plus a pure-Python busy loop of about `seconds` (a run that is caught mid-way)."""
    loops = int(seconds * 12_000_000)
    return WARM_CODE.replace("# busy: spin", f"spin = 0\nfor step in range({loops}):\n    spin += step")


def http(proc: Proc, timeout: float = 30) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{proc.port}", timeout=timeout, limits=limits)


async def user_and_strategy(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    return headers, str(strategy["id"])


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], strategy_id: str, code: str | None = None
) -> str:
    """Executes the strategy (its generated code, or `code` when given); retries on 503."""
    body: dict[str, object] = {"params": PARAMS} if code is None else {"params": PARAMS, "code": code}
    for _ in range(50):  # a 503 (database or broker away) says retry
        response = await client.post(
            f"/executions/strategies/{strategy_id}/execute", json=body, headers=headers
        )
        if response.status_code == 503:
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        assert response.status_code == 201, response.text
        return str(response.json()["id"])
    raise AssertionError("execute kept answering 503")


@dataclass
class Watch:
    execution_id: str
    seqs: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    end: str | None = None
    connects: int = 0
    told_to_reconnect: int = 0


async def watch(proc: Proc, execution_id: str, token: str, timeout_s: float) -> Watch:
    """A WebSocket watcher that always resumes with `after=<last seq seen>`, as the React builder does."""
    result = Watch(execution_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        after = result.seqs[-1] if result.seqs else 0
        url = f"ws://127.0.0.1:{proc.port}/executions/{execution_id}/ws?token={token}&after={after}"
        try:
            async with websockets.connect(url, open_timeout=10, max_size=2**22) as ws:
                result.connects += 1
                async for raw in ws:
                    message: dict[str, Any] = json.loads(raw)
                    if message["type"] == "event":
                        result.seqs.append(int(message["seq"]))
                        result.statuses.append(str(message["status"]))
                    elif message["type"] == "end":
                        result.end = str(message["status"])
                        return result
                    elif message["type"] == "reconnect":
                        result.told_to_reconnect += 1
        except (OSError, websockets.WebSocketException, TimeoutError):
            pass  # the server went away: come back with `after`
        await asyncio.sleep(0.2)
    return result


async def wait_all_final(
    client: httpx.AsyncClient, headers: dict[str, str], ids: list[str], timeout_s: float
) -> dict[str, dict[str, Any]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    final: dict[str, dict[str, Any]] = {}
    while len(final) < len(ids):
        for execution_id in ids:
            if execution_id in final:
                continue
            response = await client.get(f"/executions/{execution_id}", headers=headers)
            if response.status_code == 200 and response.json()["status"] in (
                "completed",
                "failed",
                "cancelled",
            ):
                final[execution_id] = response.json()
        if loop.time() > deadline:
            missing = {i for i in ids if i not in final}
            raise AssertionError(
                f"{len(missing)} executions not final after {timeout_s} s: {sorted(missing)[:5]}"
            )
        await asyncio.sleep(0.3)
    return final


class Database:
    """Direct reads (and the connection-drop fault), independent of the API under test."""

    def __init__(self, topology: Topology) -> None:
        self.dsn = topology.database.url.replace("postgresql+asyncpg://", "postgresql://")
        self.name = topology.database.name

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def event_seqs(self, ids: list[str]) -> dict[str, list[int]]:
        rows = await self.fetch(
            "SELECT execution_id, seq FROM execution_events WHERE execution_id = ANY($1) "
            "ORDER BY execution_id, seq",
            ids,
        )
        seqs: dict[str, list[int]] = {i: [] for i in ids}
        for row in rows:
            seqs[row["execution_id"]].append(row["seq"])
        return seqs

    async def executions(self, ids: list[str]) -> dict[str, asyncpg.Record]:
        rows = await self.fetch(
            "SELECT id, status, attempts, worker_id, error_message FROM strategy_executions "
            "WHERE id = ANY($1)",
            ids,
        )
        return {row["id"]: row for row in rows}

    async def final_event_counts(self, ids: list[str]) -> dict[str, int]:
        rows = await self.fetch(
            "SELECT execution_id, count(*) AS n FROM execution_events WHERE execution_id = ANY($1) "
            "AND status IN ('completed', 'failed', 'cancelled') GROUP BY execution_id",
            ids,
        )
        return {row["execution_id"]: row["n"] for row in rows}

    async def runs_per_execution(self, ids: list[str]) -> dict[str, int]:
        rows = await self.fetch(
            "SELECT execution_id, count(*) AS n FROM backtest_runs WHERE execution_id = ANY($1) "
            "GROUP BY execution_id",
            ids,
        )
        return {row["execution_id"]: row["n"] for row in rows}

    async def terminate_connections(self) -> int:
        """Kills every server connection to the test database (what a PostgreSQL failover does)."""
        rows = await self.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.name,
        )
        return len(rows)
