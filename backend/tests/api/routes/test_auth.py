import httpx

from tests.utils.factories import register


async def test_register_token_and_protected_routes(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"username": "alice_auth", "password": "longenough1"})
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "alice_auth" and body["id"].startswith("usr_")
    assert "password" not in str(body)

    token = await client.post("/auth/token", data={"username": "alice_auth", "password": "longenough1"})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"

    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/strategies", headers=headers)).status_code == 200


async def test_duplicate_username_is_409(client: httpx.AsyncClient) -> None:
    await register(client, "dup_user")
    again = await client.post("/auth/register", json={"username": "dup_user", "password": "another-pass"})
    assert again.status_code == 409
    assert again.json()["error"] == "UsernameTaken"


async def test_wrong_password_and_missing_token_are_401(client: httpx.AsyncClient) -> None:
    await register(client, "bob_auth")
    bad = await client.post("/auth/token", data={"username": "bob_auth", "password": "wrong password"})
    assert bad.status_code == 401
    for path in ("/strategies", "/strategies/schema", "/executions/exec_x", "/data/symbols"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "Unauthorized"
    forged = {"Authorization": "Bearer not.a.token"}
    assert (await client.get("/strategies", headers=forged)).status_code == 401


async def test_health_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["sandbox"].startswith("ready (")  # the session's pool is warm before the app starts
    assert body["pipeline"] in ("loading", "ready")


async def test_password_is_stored_hashed_with_argon2(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.models.user import User

    await register(client, "carol_hash")
    async with app.state.session_factory() as session:
        user = (await session.exec(select(User).where(User.username == "carol_hash"))).one()
    assert user.hashed_password.startswith("$argon2")
    assert "correct horse" not in user.hashed_password


async def test_short_password_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"username": "dave", "password": "short"})
    assert response.status_code == 422
    assert "password" in response.json()["detail"]
