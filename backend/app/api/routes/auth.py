"""Registration, bearer tokens, and the browser's session.

Scripts and the MCP face use bearer tokens (`POST /auth/token`). The web app keeps its access token in
memory only, so a page script cannot find it in storage; what lets a sign-in survive a reload or a new tab
is a session cookie the script cannot read at all (httpOnly, SameSite=Strict, path `/auth/session`):
`POST /auth/session` (with the bearer token) sets it, `POST /auth/session/token` trades it for a fresh
access token, `DELETE /auth/session` clears it. The token route also wants the `X-StratCrew-Session`
header, which a cross-site form or image cannot send.
"""

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import CurrentUser, SessionDep, SettingsDep
from app.core.errors import Unauthorized
from app.core.security import create_access_token, create_session_token, decode_session_token
from app.models.user import SessionToken, Token, User, UserCreate, UserPublic
from app.services import users
from app.services.throttle import AuthLimits

router = APIRouter(prefix="/auth", tags=["auth"])

SESSION_COOKIE = "stratcrew_session"
SESSION_PATH = "/auth/session"


def _client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _limits(request: Request) -> AuthLimits:
    limits: AuthLimits = request.app.state.auth_limits
    return limits


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses={429: {"description": "Too many registrations from this address (see Retry-After)"}},
)
async def register(data: UserCreate, session: SessionDep, request: Request) -> UserPublic:
    _limits(request).check_registration(_client_address(request))
    user = await users.register(session, data)
    return UserPublic(id=user.id, username=user.username)


@router.post(
    "/token",
    response_model=Token,
    responses={429: {"description": "Too many failed sign-ins for this username or address (Retry-After)"}},
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> Token:
    limits, address = _limits(request), _client_address(request)
    limits.check_login(form.username, address)
    try:
        user = await users.authenticate(session, form.username, form.password)
    except Unauthorized:
        limits.failed_login(form.username, address)
        raise
    limits.signed_in(form.username)
    access = create_access_token(
        user.id, settings.resolved_secret_key(), settings.access_token_expire_minutes
    )
    return Token(access_token=access)


@router.post(SESSION_PATH.removeprefix("/auth"), status_code=status.HTTP_204_NO_CONTENT)
async def open_session(user: CurrentUser, settings: SettingsDep, request: Request) -> Response:
    """Sets the browser's session cookie for the bearer token's user (lives as long as a token does)."""
    minutes = settings.access_token_expire_minutes
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(
        SESSION_COOKIE,
        create_session_token(user.id, settings.resolved_secret_key(), minutes),
        max_age=minutes * 60,
        path=SESSION_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post(f"{SESSION_PATH.removeprefix('/auth')}/token", response_model=SessionToken)
async def session_token(
    session: SessionDep,
    settings: SettingsDep,
    x_stratcrew_session: Annotated[str | None, Header()] = None,
    stratcrew_session: Annotated[str | None, Cookie()] = None,
) -> SessionToken:
    """A fresh access token for the browser whose session cookie is valid; 401 without one."""
    if x_stratcrew_session is None:
        raise Unauthorized("Send the X-StratCrew-Session header to use the session cookie")
    if not stratcrew_session:
        raise Unauthorized("No session: sign in")
    secret = settings.resolved_secret_key()
    user = await session.get(User, decode_session_token(stratcrew_session, secret))
    if user is None:
        raise Unauthorized("Invalid session: the user no longer exists")
    access = create_access_token(user.id, secret, settings.access_token_expire_minutes)
    return SessionToken(access_token=access, username=user.username)


@router.delete(SESSION_PATH.removeprefix("/auth"), status_code=status.HTTP_204_NO_CONTENT)
async def close_session() -> Response:
    """Signs the browser out: the cookie is cleared (bearer tokens already handed out run to their end)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path=SESSION_PATH, httponly=True, samesite="strict")
    return response
