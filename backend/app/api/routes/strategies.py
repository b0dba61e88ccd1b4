from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, status

from app.api.deps import CurrentUser, GraphLimitsDep, SessionDep, SettingsDep
from app.core.config import Settings
from app.models.rules import RuleCheck, RuleCheckResult
from app.models.strategy import Strategy, StrategyCreate, StrategyPublic, StrategyUpdate
from app.services import indicators, rule_check, strategies
from app.services.language import SavedIndicator, node_json_schema

router = APIRouter(prefix="/strategies", tags=["strategies"])


def _public(row: Strategy, settings: Settings, library: Sequence[SavedIndicator]) -> StrategyPublic:
    return strategies.public(row, llm_available=settings.llm_mode, library=library)


@router.get("/schema", response_model=dict[str, Any])
async def schema(_user: CurrentUser) -> dict[str, Any]:
    """JSON Schema of a strategy's node graph (the contract the builder draws against)."""
    return node_json_schema()


@router.post("/rules/validate", response_model=RuleCheckResult)
async def validate_rule(body: RuleCheck, user: CurrentUser, session: SessionDep) -> RuleCheckResult:
    """Reads one rule and answers what was understood, in one canonical line; a rule that cannot be read
    answers 422 `RuleNotUnderstood` with the position, what was expected and a suggestion. The user's
    saved indicators (`/indicators`) are usable by name; `custom_indicators` of the same name win."""
    return rule_check.check(body, await indicators.library_for(session, user.id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StrategyPublic)
async def create(
    data: StrategyCreate,
    user: CurrentUser,
    session: SessionDep,
    limits: GraphLimitsDep,
    settings: SettingsDep,
) -> StrategyPublic:
    """Saves a strategy. A malformed or oversized graph or an impossible stop is refused (422 naming the
    node); an unfinished draft is kept, its gaps listed in `issues`."""
    library = await indicators.library_for(session, user.id)
    return _public(await strategies.create(session, user, data, limits, library), settings, library)


@router.get("", response_model=list[StrategyPublic])
async def list_strategies(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[StrategyPublic]:
    library = await indicators.library_for(session, user.id)
    return [_public(row, settings, library) for row in await strategies.list_for(session, user)]


@router.get("/{strategy_id}", response_model=StrategyPublic)
async def get(
    strategy_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> StrategyPublic:
    row = await strategies.get_owned(session, user, strategy_id)
    return _public(row, settings, await indicators.library_for(session, user.id))


@router.put("/{strategy_id}", response_model=StrategyPublic)
async def update(
    strategy_id: str,
    data: StrategyUpdate,
    user: CurrentUser,
    session: SessionDep,
    limits: GraphLimitsDep,
    settings: SettingsDep,
) -> StrategyPublic:
    library = await indicators.library_for(session, user.id)
    row = await strategies.update(session, user, strategy_id, data, limits, library)
    return _public(row, settings, library)


@router.delete("/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(strategy_id: str, user: CurrentUser, session: SessionDep) -> None:
    await strategies.remove(session, user, strategy_id)
