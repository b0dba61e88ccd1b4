from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, GraphLimitsDep, SessionDep, SettingsDep
from app.core.config import Settings
from app.models.strategy import Strategy, StrategyCreate, StrategyPublic, StrategyUpdate
from app.services import strategies
from app.services.language import node_json_schema, parse_rule

router = APIRouter(prefix="/strategies", tags=["strategies"])


class RuleCheck(BaseModel):
    rule: str = Field(min_length=1, max_length=2000, description="One plain-language rule.")


class RuleCheckResult(BaseModel):
    ok: bool = True
    parsed: dict[str, Any]


def _public(row: Strategy, settings: Settings) -> StrategyPublic:
    return strategies.public(row, llm_available=settings.llm_mode)


@router.get("/schema", response_model=dict[str, Any])
async def schema(_user: CurrentUser) -> dict[str, Any]:
    """JSON Schema of a strategy's node graph (the contract the builder draws against)."""
    return node_json_schema()


@router.post("/rules/validate", response_model=RuleCheckResult)
async def validate_rule(body: RuleCheck, _user: CurrentUser) -> RuleCheckResult:
    """Parses one rule; a rule that cannot be read answers 422 with the position and what was expected."""
    parsed = parse_rule(body.rule)
    dump = parsed.model_dump(mode="json") if hasattr(parsed, "model_dump") else {"condition": str(parsed)}
    return RuleCheckResult(parsed=dump)


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
    return _public(await strategies.create(session, user, data, limits), settings)


@router.get("", response_model=list[StrategyPublic])
async def list_strategies(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[StrategyPublic]:
    return [_public(row, settings) for row in await strategies.list_for(session, user)]


@router.get("/{strategy_id}", response_model=StrategyPublic)
async def get(
    strategy_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> StrategyPublic:
    return _public(await strategies.get_owned(session, user, strategy_id), settings)


@router.put("/{strategy_id}", response_model=StrategyPublic)
async def update(
    strategy_id: str,
    data: StrategyUpdate,
    user: CurrentUser,
    session: SessionDep,
    limits: GraphLimitsDep,
    settings: SettingsDep,
) -> StrategyPublic:
    return _public(await strategies.update(session, user, strategy_id, data, limits), settings)


@router.delete("/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(strategy_id: str, user: CurrentUser, session: SessionDep) -> None:
    await strategies.remove(session, user, strategy_id)
