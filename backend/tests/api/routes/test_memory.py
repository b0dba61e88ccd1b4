"""`/memory`: a user's memories (mem0 for real, the session app's), listed, forgotten and given preferences,
each user seeing and forgetting only their own."""

from __future__ import annotations

import httpx

from app.core.security import decode_access_token
from app.models.memory import Preferences
from tests.utils.factories import register


async def test_preferences_listed_and_forgotten_by_their_owner_only(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    # mem0 loads in the background after start (~7 s, far longer on a busy machine): wait for it here, not
    # inside the first request's 60 s client timeout
    assert await app.state.memory.start(), app.state.memory.unavailable_reason
    frank, grace = await register(client), await register(client)
    first = await client.put(
        "/memory/preferences", json={"risk_tolerance": "low", "max_drawdown": 15}, headers=frank
    )
    assert first.status_code == 200, first.text
    again = await client.put(
        "/memory/preferences", json={"risk_tolerance": "high", "max_drawdown": 30}, headers=frank
    )
    assert again.status_code == 200 and again.json()["kind"] == "preferences"
    user_id = decode_access_token(frank["Authorization"].split()[1], app.state.settings.resolved_secret_key())
    assert await app.state.memory.get_preferences(user_id) == Preferences(
        risk_tolerance="high", max_drawdown=30
    )
    listed = (await client.get("/memory", headers=frank)).json()
    assert listed["count"] == 1 and listed["data"][0]["kind"] == "preferences"  # replaced, not added
    memory_id = listed["data"][0]["id"]

    assert (await client.get("/memory", headers=grace)).json()["count"] == 0
    assert (await client.delete(f"/memory/{memory_id}", headers=grace)).status_code == 404
    assert (await client.delete(f"/memory/{memory_id}", headers=frank)).status_code == 204
    assert (await client.get("/memory", headers=frank)).json()["count"] == 0


async def test_bad_preferences_and_no_token_are_refused(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    refused = await client.put("/memory/preferences", json={"max_drawdown": 0}, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "max_drawdown"
    assert (await client.get("/memory")).status_code == 401
