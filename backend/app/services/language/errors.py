"""Errors of the strategy language, worded for the trader who drew the strategy.

Each names the node it comes from, so the builder can highlight it:

>>> err = ImpossibleStrategy("take-profit must be above 0%", node_id="tp")
>>> err.body()
{'error': 'ImpossibleStrategy', 'detail': "Node 'tp': take-profit must be above 0%", 'node_id': 'tp', \
'reason': 'take-profit must be above 0%'}
"""

from __future__ import annotations

from app.core.errors import DomainError


def _where(node_id: str) -> str:
    return f"Node '{node_id}': " if node_id else ""


class InvalidStrategyGraph(DomainError):
    """The node graph itself is malformed (unknown type, missing id, wrong field type...)."""

    status_code = 422

    def __init__(self, reason: str, *, node_id: str = "", field: str = "") -> None:
        where = _where(node_id)
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}{what}{reason}", node_id=node_id, field=field, reason=reason)


class StrategyTooLarge(DomainError):
    """A graph over a configured size limit (`MAX_STRATEGY_NODES`, `MAX_RULES_PER_NODE`)."""

    status_code = 422

    def __init__(self, reason: str, *, limit: str, value: int, maximum: int, node_id: str = "") -> None:
        super().__init__(
            f"{_where(node_id)}{reason}", node_id=node_id, limit=limit, value=value, maximum=maximum
        )


class RuleNotUnderstood(DomainError):
    """A plain-language rule the grammar cannot read.

    ``position`` is the 0-based character offset in ``rule`` where reading stopped, ``expected`` what
    the grammar would have accepted there, ``suggestion`` the closest phrasing it does understand (built
    from the user's own words), ``reason`` a definite refusal when there is one ("RSI takes (length): got
    2 numbers", "'TEMA' is not an indicator the language knows; known: ..."), ``unknown`` that word;
    ``kind`` what the text is to the user ("rule", or "formula" for a custom indicator's).
    """

    status_code = 422

    def __init__(
        self,
        *,
        node_id: str,
        rule: str,
        position: int,
        expected: list[str],
        suggestion: str | None,
        reason: str | None = None,
        unknown: str | None = None,
        kind: str = "rule",
    ) -> None:
        wanted = _join_alternatives(expected) or "something else"
        what = reason if reason else f"expected {wanted}"
        message = f"{_where(node_id)}could not read {kind} '{rule}' at position {position}: {what}."
        if suggestion:
            message += f" Did you mean: '{suggestion}'?"
        extra: dict[str, object] = {}
        if reason:
            extra["reason"] = reason
        if unknown:
            extra["unknown"] = unknown
        super().__init__(
            message,
            node_id=node_id,
            rule=rule,
            position=position,
            expected=expected,
            suggestion=suggestion,
            **extra,
        )


class ImpossibleStrategy(DomainError):
    """A strategy that reads fine but cannot mean anything (a 0-bar window, a take-profit below 0...)."""

    status_code = 422

    def __init__(self, reason: str, *, node_id: str = "") -> None:
        super().__init__(f"{_where(node_id)}{reason}", node_id=node_id, reason=reason)


def _join_alternatives(items: list[str]) -> str:
    """``['a number', "'above'", "'below'"]`` -> "a number or 'above'/'below'" (quoted words grouped)."""
    words = [item for item in items if item.startswith("'")]
    others = [item for item in items if not item.startswith("'")]
    parts = [*others]
    if words:
        parts.append("/".join(words))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]
