"""The bearer-token guard in front of the MCP endpoint: the same tokens, users and 401 bodies as REST.

The SDK's own guard (`BearerAuthBackend` + `RequireAuthMiddleware`) answers every failure "Authentication
required"; this one asks `users.user_for_token` (the function REST's `CurrentUser` uses) and answers what it
says ("Token expired; sign in again", ...). It then marks the request the way the SDK's guard does
(`scope["user"]` an `AuthenticatedUser`), so the SDK's session manager binds each MCP session to the user who
opened it: another user's token with that session id is answered 404, as if the session did not exist.
"""

from __future__ import annotations

import json

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import Unauthorized
from app.mcp.backend import BackendGetter
from app.models.user import User
from app.services import users


class SignedInUser(AuthenticatedUser):
    """The SDK's authenticated principal (what sessions are bound to), carrying the user REST would have."""

    def __init__(self, user: User) -> None:
        super().__init__(AccessToken(token="", client_id=user.id, scopes=[], subject=user.id))
        self.user = user


class BearerGuard:
    def __init__(self, app: ASGIApp, get_backend: BackendGetter) -> None:
        self.app = app
        self.get_backend = get_backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        backend = self.get_backend()
        try:
            async with backend.session_factory() as session:
                user = await users.user_for_token(
                    session, _bearer(scope), backend.settings.resolved_secret_key()
                )
        except Unauthorized as exc:
            await _unauthorized(send, exc)
            return
        scope["user"] = SignedInUser(user)
        scope["auth"] = AuthCredentials([])
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


async def _unauthorized(send: Send, exc: Unauthorized) -> None:
    body = json.dumps(exc.body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b"Bearer"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
