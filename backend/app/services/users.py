"""Registration, sign-in, and who a bearer token belongs to (the REST API and the MCP face both ask here)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, Unauthorized
from app.core.ids import new_id
from app.core.security import decode_access_token, hash_password, verify_password
from app.models.user import User, UserCreate


class UsernameTaken(Conflict):
    pass


async def register(session: AsyncSession, data: UserCreate) -> User:
    user = User(id=new_id("usr"), username=data.username, hashed_password=hash_password(data.password))
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise UsernameTaken(f"Username '{data.username}' is taken", field="username") from exc
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    result = await session.exec(select(User).where(User.username == username))
    user = result.first()
    if user is None or not verify_password(password, user.hashed_password):
        raise Unauthorized("Incorrect username or password")
    return user


async def user_for_token(session: AsyncSession, token: str | None, secret: str) -> User:
    """The signed-in user a bearer token names; `Unauthorized` for none, a bad one, or a deleted user."""
    if not token:
        raise Unauthorized("Not authenticated: send 'Authorization: Bearer <token>' (POST /auth/token)")
    user = await session.get(User, decode_access_token(token, secret))
    if user is None:
        raise Unauthorized("Invalid token: the user no longer exists")
    return user
