from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import SessionDep, SettingsDep
from app.core.security import create_access_token
from app.models.user import Token, UserCreate, UserPublic
from app.services import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def register(data: UserCreate, session: SessionDep) -> UserPublic:
    user = await users.register(session, data)
    return UserPublic(id=user.id, username=user.username)


@router.post("/token", response_model=Token)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    user = await users.authenticate(session, form.username, form.password)
    access = create_access_token(
        user.id, settings.resolved_secret_key(), settings.access_token_expire_minutes
    )
    return Token(access_token=access)
