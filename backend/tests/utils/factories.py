"""Factories for API objects, built through the real routes."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx

SEED_GRAPH: dict[str, Any] = {
    "nodes": [
        {
            "id": "entry",
            "type": "entry_condition",
            "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]},
        },
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}

FINAL = {"completed", "failed", "cancelled"}


async def register(client: httpx.AsyncClient, username: str | None = None) -> dict[str, str]:
    """Registers a fresh user and returns the Authorization header for them."""
    username = username or f"user_{secrets.token_hex(4)}"
    password = "correct horse battery"
    response = await client.post("/auth/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    token = await client.post("/auth/token", data={"username": username, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def create_strategy(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    graph: dict[str, Any] | None = None,
    name: str = "Seed",
) -> dict[str, Any]:
    response = await client.post(
        "/strategies", json={"name": name, "schema": graph or SEED_GRAPH}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def execute(
    client: httpx.AsyncClient, headers: dict[str, str], strategy_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(f"/executions/strategies/{strategy_id}/execute", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_final(
    client: httpx.AsyncClient, headers: dict[str, str], execution_id: str, timeout_s: float = 180
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        response = await client.get(f"/executions/{execution_id}", headers=headers)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        if body["status"] in FINAL:
            return body
        if loop.time() > deadline:
            raise AssertionError(f"execution {execution_id} still {body['status']} after {timeout_s} s")
        await asyncio.sleep(0.05)
