from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, GraphLimitsDep, SessionDep, SettingsDep
from app.core.config import Settings
from app.models.strategy import Strategy, StrategyCreate, StrategyPublic, StrategyUpdate
from app.services import strategies
from app.services.language import SavedIndicator, context_for, node_json_schema, read_rule

router = APIRouter(prefix="/strategies", tags=["strategies"])


class CustomIndicatorIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    formula: str = Field(min_length=1, max_length=500)


class RuleCheck(BaseModel):
    rule: str = Field(min_length=1, max_length=2000, description="One plain-language rule.")
    timeframe: Literal["1d", "1h", "1wk", "1mo"] = Field(
        default="1d", description="Bar interval: days, weeks and months are converted to these bars."
    )
    custom_indicators: list[CustomIndicatorIn] = Field(
        default=[], max_length=50, description="Custom indicators the rule may name (the strategy's nodes)."
    )


class RuleCheckResult(BaseModel):
    ok: bool = True
    parsed: dict[str, Any] | None = Field(
        description="The condition as the spec stores it (null for a stop or a time limit written as a rule)."
    )
    understood: str = Field(description="One canonical line, e.g. 'RSI(14) crosses above 30'.")
    exit_after_bars: int | None = Field(default=None, description="A time limit the rule states, in bars.")
    price_exit: dict[str, Any] | None = Field(
        default=None, description="A stop the rule states, as its node."
    )
    notes: list[str] = Field(
        default=[], description="Unit conversions, e.g. '52 weeks = 1 year = 252 daily bars'."
    )


def _public(row: Strategy, settings: Settings) -> StrategyPublic:
    return strategies.public(row, llm_available=settings.llm_mode)


@router.get("/schema", response_model=dict[str, Any])
async def schema(_user: CurrentUser) -> dict[str, Any]:
    """JSON Schema of a strategy's node graph (the contract the builder draws against)."""
    return node_json_schema()


@router.post("/rules/validate", response_model=RuleCheckResult)
async def validate_rule(body: RuleCheck, _user: CurrentUser) -> RuleCheckResult:
    """Reads one rule and answers what was understood, in one canonical line; a rule that cannot be read
    answers 422 `RuleNotUnderstood` with the position, what was expected and a suggestion."""
    library = [SavedIndicator(c.name, c.formula) for c in body.custom_indicators]
    reading = read_rule(body.rule, context=context_for(body.timeframe, library))
    stop = reading.price_exit
    return RuleCheckResult(
        parsed=reading.condition.model_dump(mode="json") if reading.condition is not None else None,
        understood=reading.understood,
        exit_after_bars=reading.exit_after_bars,
        price_exit={"type": stop.kind, "pct": stop.pct, "atr": stop.atr, "atr_period": stop.atr_period}
        if stop is not None
        else None,
        notes=list(reading.notes),
    )


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
