"""Source lines computing each indicator, custom indicator and candle pattern, in dependency order.

The formulas live in the catalog (`catalog_families.py`, one entry per indicator family, with the
pandas lines that compute it); this module orders them (an indicator taken of another, or of a custom
indicator, comes after it) and writes each block under a comment giving its formula.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

from app.services.language import catalog
from app.services.language.catalog_families import source_var
from app.services.language.indicators import Indicator
from app.services.language.spec import CustomIndicator, StrategySpec, expr_customs

# Families whose lines define all their outputs at once (emitted once per parameter set).
_BLOCK_FAMILIES = frozenset(["macd", "bb", "stoch", "kc", "dmi"])
_SHARED = ("previous_close =", "true_range =")

__all__ = ["indicator_lines", "indicator_section", "source_var"]


def indicator_section(spec: StrategySpec) -> list[str]:
    """The indicator and custom-indicator lines of ``spec``'s script (empty when it has none)."""
    items: list[Indicator | CustomIndicator] = [*spec.indicators(), *spec.custom_indicators]
    if not items:
        return []
    header = "# Indicators (formulas: docs/language.md; warm-up bars are NaN, which never signals)"
    return ["", header, *indicator_lines(items)]


def indicator_lines(items: list[Indicator | CustomIndicator]) -> list[str]:
    """The lines computing ``items`` in dependency order, each family once per parameter set, each block
    under a comment with its formula (also used by the sweep script, so both compute alike)."""
    from app.services.language.compiler import render_expr as render

    lines: list[str] = []
    done: set[tuple[object, ...]] = set()
    emitted: set[str] = set()
    for item in _dependency_order(items):
        if isinstance(item, CustomIndicator):
            lines.append(f"# Custom indicator {item.name!r}: {item.formula}")
            lines.append(f"{item.name} = {render(item.expr)}")
            continue
        family = catalog.family_of(item.kind)
        key = (family.key, item.params()) if family.key in _BLOCK_FAMILIES else (item.var_name(),)
        if key in done:
            continue
        done.add(key)
        lines += comment_lines(item)
        for line in family.lines(item):
            if line.startswith(_SHARED) and line in emitted:
                continue
            emitted.add(line)
            lines.append(line)
    return lines


def comment_lines(ind: Indicator) -> list[str]:
    """'# RSI(14): RSI(n) = 100 - 100 / (1 + avg gain / avg loss); ...' wrapped at 110 columns."""
    family = catalog.family_of(ind.kind)
    label = ind.label()
    if family.key in _BLOCK_FAMILIES:
        label = f"{family.title} ({', '.join(_num(v) for v in ind.params())})"
    return list(_wrapped(f"{label}: {family.formula}"))


@lru_cache(maxsize=1024)
def _wrapped(text: str) -> tuple[str, ...]:
    return tuple("# " + line for line in textwrap.wrap(text, 106, subsequent_indent="  "))


def _dependency_order(items: list[Indicator | CustomIndicator]) -> list[Indicator | CustomIndicator]:
    """Stable topological order: each item after the indicators and custom indicators it is made of."""
    key = {id(item): _name(item) for item in items}
    by_name = {key[id(item)]: item for item in items}
    order: list[Indicator | CustomIndicator] = []
    seen: set[str] = set()

    def visit(item: Indicator | CustomIndicator) -> None:
        name = key[id(item)]
        if name in seen:
            return
        seen.add(name)
        for dep in _deps(item):
            if dep in by_name:
                visit(by_name[dep])
        order.append(item)

    for item in items:
        visit(item)
    return order


def _name(item: Indicator | CustomIndicator) -> str:
    return item.name if isinstance(item, CustomIndicator) else item.var_name()


def _deps(item: Indicator | CustomIndicator) -> list[str]:
    if isinstance(item, CustomIndicator):
        from app.services.language.spec import _expr_indicators

        return [i.var_name() for i in _expr_indicators(item.expr)] + expr_customs(item.expr)
    if isinstance(item.of, Indicator):
        return [item.of.var_name()]
    return [item.of] if isinstance(item.of, str) else []


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
