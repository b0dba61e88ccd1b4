"""Reports opened by a signed link (`POST /executions/{id}/report-link`): no sign-in, limited time."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep, SettingsDep
from app.services import report_links

router = APIRouter(prefix="/reports", tags=["reports"])

# The link is the credential: keep it out of Referer headers, shared caches and search engines.
_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=300",
    "X-Robots-Tag": "noindex, nofollow",
}


@router.get("/{token}", response_class=HTMLResponse)
async def report(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    html = await report_links.report_by_link(session, token, settings.resolved_secret_key())
    return HTMLResponse(html, headers=_HEADERS)
