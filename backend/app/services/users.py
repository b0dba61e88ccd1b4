"""Registration and sign-in."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, Unauthorized
from app.core.ids import new_id
from app.core.security import hash_password, verify_password
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
