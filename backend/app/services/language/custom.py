"""Custom indicators: a named formula in the rule language, usable by name in rules.

    {"id": "ci", "type": "custom_indicator", "meta": {"name": "spread", "formula": "close - SMA(50)"}}
    ... "rules": ["spread crosses above 0"]

A formula is arithmetic (+ - * /, parentheses) over prices, volume, indicators, lags ("close 5 days
ago") and other custom indicators. A name is a letter then letters, digits or underscores (at most 40),
and may not be a word of the language or a name the generated code uses. Formulas that refer to each
other in a circle, or to a name nothing defines, are refused naming the node.

The user's library (``POST /indicators``) stores `SavedIndicator`s; the API validates each with
`validate_custom_indicator` before saving, and passes them to `build_spec(..., library=...)`.

>>> validate_custom_indicator("spread", "close - SMA(50)").expr.type
'arith'
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.services.language import catalog
from app.services.language.context import ReadContext
from app.services.language.cursor import Cursor
from app.services.language.errors import InvalidStrategyGraph, RuleNotUnderstood
from app.services.language.formula import read_expression
from app.services.language.lexer import tokenize
from app.services.language.spec import CustomIndicator, Expr, expr_customs
from app.services.language.vocabulary import known

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
# Names the generated code itself uses.
RESERVED = frozenset(
    ["np", "pd", "vbt", "open_price", "high", "low", "close", "volume", "frames", "entries", "exits",
     "portfolio", "load_data", "previous_close", "true_range", "symbol", "obv", "yf"]
)  # fmt: skip
_RESERVED_PREFIXES = ("entry_", "exit_", "entries", "exits", "dmi_", "bb_", "kc_", "dc_", "stoch_", "macd")


@dataclass(frozen=True)
class SavedIndicator:
    """A custom indicator as a user's library stores it."""

    name: str
    formula: str
    node_id: str = ""  # the node it comes from, when it is drawn in a strategy (named in errors)


def check_name(name: str, node_id: str = "") -> str:
    """The name as rules and code use it (lower case); refuses names that cannot be one."""
    if not NAME_RE.match(name):
        raise InvalidStrategyGraph(
            "a custom indicator's name is a letter then letters, digits or '_' (at most 40)",
            node_id=node_id, field="meta.name",
        )  # fmt: skip
    lowered = name.lower()
    kinds = tuple(f"{kind}_" for kind in catalog.kinds())
    if (
        keyword.iskeyword(lowered)
        or lowered in RESERVED
        or known(lowered)
        or lowered in catalog.kinds()
        or lowered.startswith(kinds + _RESERVED_PREFIXES)
    ):
        raise InvalidStrategyGraph(
            f"'{name}' cannot name a custom indicator: the language or the generated code already uses it",
            node_id=node_id, field="meta.name",
        )  # fmt: skip
    return lowered


def parse_formula(
    formula: str, names: Iterable[str] = (), *, node_id: str = "", timeframe: str = "1d"
) -> Expr:
    """Read a formula (see module doc) into an expression; ``names`` are the custom indicators it may use."""
    ctx = ReadContext(timeframe=timeframe, custom_names=frozenset(n.lower() for n in names))
    tokens = tokenize(formula, ctx.custom_names)
    cursor = Cursor(formula, tokens, ctx)
    found = (
        read_expression(cursor, None, allow_const=True) if not any(t.kind == "bad" for t in tokens) else None
    )
    if found is not None and cursor.at_end() and found.pair is None:
        return found.expr
    fail_i = max(cursor.fail_i, cursor.i)
    position = cursor.char_pos(fail_i)
    word = tokens[fail_i] if fail_i < len(tokens) else None
    reason = cursor.hard_error[1] if cursor.hard_error is not None else None
    if reason is None and word is not None and word.kind == "word" and not known(word.text):
        defined = ", ".join(sorted(ctx.custom_names)) or "none"
        reason = (
            f"'{word.text}' is neither an indicator the language knows nor a custom indicator "
            f"(custom indicators available: {defined})"
        )
    raise RuleNotUnderstood(
        node_id=node_id, rule=formula, position=position, suggestion=None, reason=reason, kind="formula",
        expected=cursor.fail_expected or ["an arithmetic formula such as 'close - SMA(50)'"],
    )  # fmt: skip


def validate_custom_indicator(
    name: str,
    formula: str,
    library: Sequence[SavedIndicator] = (),
    *,
    node_id: str = "",
    timeframe: str = "1d",
) -> CustomIndicator:
    """Check one custom indicator (name and formula) against the others it may use (``library``).

    Raises `InvalidStrategyGraph` for a bad name, `RuleNotUnderstood` for a formula the language cannot
    read (naming an unknown name), and `InvalidStrategyGraph` for a formula that refers back to itself."""
    lowered = check_name(name, node_id)
    others = [item for item in library if item.name.lower() != lowered]
    resolved = resolve([*[(i.name, i.formula, "") for i in others], (name, formula, node_id)], timeframe)
    return next(c for c in resolved if c.name == lowered)


def resolve(definitions: Sequence[tuple[str, str, str]], timeframe: str = "1d") -> list[CustomIndicator]:
    """Read ``(name, formula, node_id)`` definitions; return them ordered so each comes after those it
    uses. Duplicate names, unknown names and circular definitions are refused naming the node."""
    by_name: dict[str, tuple[str, str]] = {}
    for name, formula, node_id in definitions:
        lowered = check_name(name, node_id)
        if lowered in by_name:
            raise InvalidStrategyGraph(
                f"two custom indicators are named '{name}'", node_id=node_id, field="meta.name"
            )
        by_name[lowered] = (formula, node_id)
    names = list(by_name)
    parsed = {
        name: CustomIndicator(
            name=name,
            formula=formula,
            node_id=node_id,
            expr=parse_formula(formula, names, node_id=node_id, timeframe=timeframe),
        )
        for name, (formula, node_id) in by_name.items()
    }
    return _ordered(parsed)


def _ordered(parsed: dict[str, CustomIndicator]) -> list[CustomIndicator]:
    order: list[CustomIndicator] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        custom = parsed[name]
        if state.get(name) == "visiting":
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise InvalidStrategyGraph(
                f"custom indicators refer to each other in a circle ({cycle})",
                node_id=custom.node_id, field="meta.formula",
            )  # fmt: skip
        state[name] = "visiting"
        for used in expr_customs(custom.expr):
            visit(used, [*path, name])
        state[name] = "done"
        order.append(custom)

    for name in parsed:
        visit(name, [])
    return order


def context_for(timeframe: str = "1d", library: Sequence[SavedIndicator] = ()) -> ReadContext:
    """The reading context of a rule checked on its own: the bar interval and the custom indicators it
    may name (checked first, so a bad one is refused rather than silently unknown)."""
    customs = resolve([(item.name, item.formula, item.node_id) for item in library], timeframe)
    return ReadContext(timeframe=timeframe, custom_names=frozenset(c.name for c in customs))


def used_customs(exprs: Iterable[Expr], available: Sequence[CustomIndicator]) -> set[str]:
    """Names of the custom indicators ``exprs`` need, directly or through other custom indicators."""
    by_name = {c.name: c for c in available}
    needed: set[str] = set()
    pending = [name for expr in exprs for name in expr_customs(expr)]
    while pending:
        name = pending.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        pending.extend(expr_customs(by_name[name].expr))
    return needed
