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


# A browser session's token lives in an httpOnly cookie and only buys access tokens
# (`POST /auth/session/token`); its type claim keeps it from being used as a bearer token itself.
SESSION_TOKEN_TYPE = "session"


def create_access_token(subject: str, secret: str, expires_minutes: int) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=expires_minutes)
    return jwt.encode({"sub": subject, "exp": expires}, secret, algorithm=ALGORITHM)


def create_session_token(subject: str, secret: str, expires_minutes: int) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=expires_minutes)
    claims = {"sub": subject, "exp": expires, "typ": SESSION_TOKEN_TYPE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> str:
    """The user id in a valid token; `Unauthorized` for a bad, expired or tampered one."""
    payload = _decode(token, secret)
    if payload.get("typ") is not None:  # a session token or a report link signs for something narrower
        raise Unauthorized(f"Invalid token: a {payload['typ']} token is not a bearer token")
    return _subject(payload)


def decode_session_token(token: str, secret: str) -> str:
    payload = _decode(token, secret)
    if payload.get("typ") != SESSION_TOKEN_TYPE:
        raise Unauthorized("Invalid session: sign in again")
    return _subject(payload)


def _decode(token: str, secret: str) -> dict[str, object]:
    try:
        payload: dict[str, object] = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token expired; sign in again") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid token") from exc
    return payload


def _subject(payload: dict[str, object]) -> str:
    subject = payload.get("sub")
    if not isinstance(subject, str):
        raise Unauthorized("Invalid token")
    return subject
