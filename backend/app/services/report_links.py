"""Signed links to a run's report: a real URL that can be bookmarked or sent, valid for a limited time.

The link carries a token signed with the service's secret (``SECRET_KEY``) naming the execution and its
owner; opening it needs no sign-in, and it stops working when it expires, when the run is deleted, or when
the secret changes. The token's type claim keeps it from serving as a bearer token, and a bearer token
from serving as a link.

>>> token, _ = sign_report_link("exec_1", "usr_1", "k" * 32, minutes=5)
>>> open_report_link(token, "k" * 32)
('exec_1', 'usr_1')
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.errors import DomainError, NotFound
from app.core.security import ALGORITHM
from app.models.run_list import ReportLink
from app.models.user import User
from app.services import executions, result_views, strategies

LINK_TYPE = "report"


class ReportLinkNotValid(NotFound):
    pass


class ReportLinkExpired(DomainError):
    status_code = 410


def sign_report_link(execution_id: str, user_id: str, secret: str, *, minutes: int) -> tuple[str, datetime]:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    claims = {"sub": user_id, "exe": execution_id, "typ": LINK_TYPE, "exp": expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def open_report_link(token: str, secret: str) -> tuple[str, str]:
    """``(execution_id, user_id)`` of a valid link; else `ReportLinkExpired` (410), `ReportLinkNotValid`."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError as exc:
        raise ReportLinkExpired(
            "This report link has expired: open the run in StratCrew and make a new link"
        ) from exc
    except jwt.PyJWTError as exc:
        raise ReportLinkNotValid("This report link is not valid") from exc
    execution_id, user_id = claims.get("exe"), claims.get("sub")
    if claims.get("typ") != LINK_TYPE or not isinstance(execution_id, str) or not isinstance(user_id, str):
        raise ReportLinkNotValid("This report link is not valid")
    return execution_id, user_id


async def link(
    session: AsyncSession, user: User, execution_id: str, settings: Settings, base_url: str
) -> ReportLink:
    """A signed link to one of the user's completed runs' report, absolute from `base_url` (this server as
    the request reached it)."""
    await executions.get_results(session, user, execution_id)  # only a completed run has a report
    token, expires = sign_report_link(
        execution_id, user.id, settings.resolved_secret_key(), minutes=settings.report_link_expire_minutes
    )
    path = f"/reports/{token}"
    return ReportLink(path=path, url=base_url.rstrip("/") + path, expires_at=expires)


async def report_of(session: AsyncSession, user: User, execution_id: str) -> str:
    """The HTML report of one of the user's completed runs, titled with its strategy's name."""
    execution = await executions.get_owned(session, user, execution_id)
    run = await executions.get_results(session, user, execution_id)
    strategy = await strategies.get_owned(session, user, execution.strategy_id)
    return await result_views.report_html(execution, run, strategy.name)


async def report_by_link(session: AsyncSession, token: str, secret: str) -> str:
    execution_id, user_id = open_report_link(token, secret)
    user = await session.get(User, user_id)
    if user is None:
        raise ReportLinkNotValid("This report link is not valid")
    try:
        return await report_of(session, user, execution_id)
    except NotFound as exc:
        raise ReportLinkNotValid("The run of this report link has been deleted") from exc
