"""Password hashing (argon2 via pwdlib) and JWT access tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.errors import Unauthorized

ALGORITHM = "HS256"
_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher.verify(password, hashed)


def create_access_token(subject: str, secret: str, expires_minutes: int) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=expires_minutes)
    return jwt.encode({"sub": subject, "exp": expires}, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> str:
    """The user id in a valid token; `Unauthorized` for a bad, expired or tampered one."""
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token expired; sign in again") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid token") from exc
    subject = payload.get("sub")
    if not isinstance(subject, str):
        raise Unauthorized("Invalid token")
    return subject
