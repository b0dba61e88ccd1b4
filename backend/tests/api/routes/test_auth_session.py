"""The browser's session: an httpOnly cookie that survives a new tab and only buys access tokens; and the
words a person gets for a short password or a bad username."""

from __future__ import annotations

import httpx

from tests.utils.factories import register

HEADER = {"X-StratCrew-Session": "1"}


async def test_a_session_cookie_gives_a_new_tab_its_own_token(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client, "tabs_user")
    opened = await client.post("/auth/session", headers=headers)
    assert opened.status_code == 204
    cookie = opened.headers["set-cookie"]
    for attribute in ("stratcrew_session=", "HttpOnly", "SameSite=strict", "Path=/auth/session", "Max-Age="):
        assert attribute.lower() in cookie.lower(), (attribute, cookie)
    value = cookie.split("stratcrew_session=", 1)[1].split(";", 1)[0]

    # "a new tab": another client that holds only the cookie, no token
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as tab:
        tab.cookies.set("stratcrew_session", value, path="/auth/session")
        fresh = await tab.post("/auth/session/token", headers=HEADER)
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["username"] == "tabs_user"
        bearer = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
        assert (await tab.get("/strategies", headers=bearer)).status_code == 200
        # the cookie alone opens nothing else: it is scoped to /auth/session and is not a bearer token
        assert (await tab.get("/strategies")).status_code == 401
        as_bearer = {"Authorization": f"Bearer {value}"}
        refused = await tab.get("/strategies", headers=as_bearer)
        assert refused.status_code == 401 and "session token" in refused.json()["detail"]
        # without the custom header (a cross-site form could not send it) the cookie is not honoured
        assert (await tab.post("/auth/session/token")).status_code == 401

        closed = await tab.delete("/auth/session")
        assert closed.status_code == 204
        assert (
            'stratcrew_session=""' in closed.headers["set-cookie"]
            or "Max-Age=0" in closed.headers["set-cookie"]
        )
        tab.cookies.clear()
        assert (await tab.post("/auth/session/token", headers=HEADER)).status_code == 401


async def test_a_forged_or_missing_session_is_401(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as tab:
        assert (await tab.post("/auth/session/token", headers=HEADER)).status_code == 401
        headers = await register(client)
        token = headers["Authorization"].split()[1]
        tab.cookies.set("stratcrew_session", token, path="/auth/session")  # an access token is no session
        assert (await tab.post("/auth/session/token", headers=HEADER)).status_code == 401
        tab.cookies.set("stratcrew_session", "x.y.z", path="/auth/session")
        assert (await tab.post("/auth/session/token", headers=HEADER)).status_code == 401


async def test_a_short_password_gets_a_human_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"username": "shorty", "password": "abcde"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["msg"] == "Choose a password of at least 8 characters (this one has 5)"
    assert "String should" not in body["detail"]


async def test_a_bad_username_gets_a_human_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"username": "two words", "password": "long enough"})
    assert response.status_code == 422
    assert "letters, digits or _ . @ -" in response.json()["errors"][0]["msg"]
    assert "should match pattern" not in response.json()["detail"]
