"""The user's custom indicator library: save, list, read, delete (see `app.services.indicators`)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import CurrentUser, MemoryDep, SessionDep
from app.models.indicator import IndicatorCheck, IndicatorCheckResult, IndicatorCreate, IndicatorPublic
from app.services import indicators
from app.services.memory import MemoryService

__all__ = ["MemoryService", "router"]

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IndicatorPublic)
async def save(
    data: IndicatorCreate, response: Response, user: CurrentUser, session: SessionDep, memory: MemoryDep
) -> IndicatorPublic:
    """Saves a custom indicator, usable by name in every strategy of this user (a strategy's own
    `custom_indicator` node of the same name wins there). Saving a name again replaces its formula (200).
    A bad name, an unreadable formula, an unknown name or a circle is refused (422 naming the problem)."""
    row, checked, created = await indicators.save(session, user, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    out = indicators.public(row, checked)
    await memory.add_custom_indicator(user.id, row.name, row.formula, out.understood)
    return out


@router.post("/check", response_model=IndicatorCheckResult)
async def check(data: IndicatorCheck, user: CurrentUser, session: SessionDep) -> IndicatorCheckResult:
    """Checks a strategy's `custom_indicator` node without saving it: its name, and its formula read with
    the graph's other custom indicators (`custom_indicators`) and the user's saved ones. The builder calls
    it as the formula is typed; a problem answers 422 like a save of the strategy would, naming `node_id`."""
    return indicators.check_drawn(data, await indicators.library_for(session, user.id))


@router.get("", response_model=list[IndicatorPublic])
async def list_indicators(user: CurrentUser, session: SessionDep) -> list[IndicatorPublic]:
    return await indicators.listing(session, user)


@router.get("/{name}", response_model=IndicatorPublic)
async def get(name: str, user: CurrentUser, session: SessionDep) -> IndicatorPublic:
    return await indicators.view(session, user, name)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(name: str, user: CurrentUser, session: SessionDep, memory: MemoryDep) -> None:
    """Deletes it; one another saved indicator uses answers 409 naming those."""
    row = await indicators.remove(session, user, name)
    await memory.forget_custom_indicator(user.id, row.name)
