"""The user's library of custom indicators (``/indicators``): saved formulas usable by name in every
strategy of that user. Another user's indicator answers 404 and is never visible.

A saved indicator is checked like a ``custom_indicator`` node (`validate_custom_indicator`) against the
rest of the library: a bad name, an unreadable formula, an unknown name or a circle is refused. Saving a
name again replaces its formula (names are case-insensitive, as in rules). An indicator another saved one
uses cannot be deleted (409 naming them): the library stays readable as a whole.

Where a strategy draws a ``custom_indicator`` node of the same name, the node wins in that strategy.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, DomainError, NotFound
from app.core.ids import new_id
from app.models._types import utcnow
from app.models.indicator import (
    IndicatorCheck,
    IndicatorCheckResult,
    IndicatorCreate,
    IndicatorPublic,
    SavedIndicatorRow,
)
from app.models.user import User
from app.services.language import CustomIndicator, SavedIndicator, validate_custom_indicator
from app.services.language.spec import describe_expr, expr_customs


class IndicatorNotFound(NotFound):
    pass


class IndicatorInUse(Conflict):
    pass


async def rows_for(session: AsyncSession, user_id: str) -> list[SavedIndicatorRow]:
    found = await session.exec(
        select(SavedIndicatorRow)
        .where(SavedIndicatorRow.user_id == user_id)
        .order_by(col(SavedIndicatorRow.name_key))
    )
    return list(found.all())


async def library_for(session: AsyncSession, user_id: str) -> list[SavedIndicator]:
    """The user's saved indicators as the language takes them (`build_spec(..., library=...)`)."""
    return [SavedIndicator(row.name, row.formula) for row in await rows_for(session, user_id)]


def public(row: SavedIndicatorRow, checked: CustomIndicator | None = None) -> IndicatorPublic:
    understood = describe_expr(checked.expr) if checked is not None else row.formula
    return IndicatorPublic(
        id=row.id,
        name=row.name,
        formula=row.formula,
        understood=understood,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check(data: IndicatorCreate, library: list[SavedIndicator]) -> CustomIndicator:
    """Raises `InvalidStrategyGraph` (name, circle) or `RuleNotUnderstood` (formula) like a node would."""
    return validate_custom_indicator(data.name, data.formula, library, node_id=data.name)


def check_drawn(data: IndicatorCheck, saved: list[SavedIndicator]) -> IndicatorCheckResult:
    """Checks a strategy's custom indicator node as the builder edits it (not saved): against the graph's
    other nodes, then the user's saved indicators they do not redefine, as a run would read it."""
    drawn = [SavedIndicator(c.name, c.formula, c.node_id) for c in data.custom_indicators]
    names = {c.name.lower() for c in drawn} | {data.name.lower()}
    library = [*drawn, *(s for s in saved if s.name.lower() not in names)]
    checked = validate_custom_indicator(
        data.name, data.formula, library, node_id=data.node_id, timeframe=data.timeframe
    )
    return IndicatorCheckResult(name=checked.name, understood=describe_expr(checked.expr))


async def save(
    session: AsyncSession, user: User, data: IndicatorCreate
) -> tuple[SavedIndicatorRow, CustomIndicator, bool]:
    """Creates or replaces the user's indicator of that name; True when it is new."""
    rows = await rows_for(session, user.id)
    checked = _check(data, [SavedIndicator(r.name, r.formula) for r in rows])
    row = next((r for r in rows if r.name_key == checked.name), None)
    created = row is None
    if row is None:
        row = SavedIndicatorRow(
            id=new_id("ind"), user_id=user.id, name=data.name, name_key=checked.name, formula=data.formula
        )
    else:
        row.name, row.formula, row.updated_at = data.name, data.formula, utcnow()
    session.add(row)
    await session.commit()
    return row, checked, created


async def get_owned(session: AsyncSession, user: User, name: str) -> SavedIndicatorRow:
    found = await session.exec(
        select(SavedIndicatorRow).where(
            SavedIndicatorRow.user_id == user.id, SavedIndicatorRow.name_key == name.lower()
        )
    )
    row = found.first()
    if row is None:
        raise IndicatorNotFound(f"Custom indicator '{name}' not found", name=name)
    return row


async def listing(session: AsyncSession, user: User) -> list[IndicatorPublic]:
    rows = await rows_for(session, user.id)
    library = [SavedIndicator(r.name, r.formula) for r in rows]
    return [public(row, _read(row, library)) for row in rows]


async def view(session: AsyncSession, user: User, name: str) -> IndicatorPublic:
    row = await get_owned(session, user, name)
    return public(row, _read(row, await library_for(session, user.id)))


def _read(row: SavedIndicatorRow, library: list[SavedIndicator]) -> CustomIndicator | None:
    try:
        return validate_custom_indicator(row.name, row.formula, library, node_id=row.name)
    except DomainError:  # a stored formula the grammar no longer reads is shown as written
        return None


async def remove(session: AsyncSession, user: User, name: str) -> SavedIndicatorRow:
    row = await get_owned(session, user, name)
    rows = await rows_for(session, user.id)
    library = [SavedIndicator(r.name, r.formula) for r in rows]
    users = [
        other.name
        for other in rows
        if other.id != row.id
        and (read := _read(other, library)) is not None
        and row.name_key in expr_customs(read.expr)
    ]
    if users:
        raise IndicatorInUse(
            f"Custom indicator '{row.name}' is used by {', '.join(users)}; delete or change those first",
            name=row.name,
            used_by=users,
        )
    await session.delete(row)
    await session.commit()
    return row
