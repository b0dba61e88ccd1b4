"""StrategySpec -> VectorBT source: deterministic, commented in the user's words, runnable alone.

Layout (the contract in docs/internals.md): imports; a ``load_data`` stub (yfinance; the service
replaces it); UPPERCASE constants; price frames; indicators; each rule with its text as a comment;
``entries``/``exits``; ``portfolio = vbt.Portfolio.from_signals(...)``.

Timing: every signal on bar t uses data up to t and trades at t's close; stops are checked from the
next bar on against its open/high/low and fill at the stop price (or the open if it gapped through).
"""

from __future__ import annotations

import json

from app.services.language.compiler_indicators import indicator_section, source_var
from app.services.language.compiler_patterns import pattern_lines
from app.services.language.spec import (
    AllOf,
    AnyOf,
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    CustomRef,
    Expr,
    Extreme,
    IndicatorRef,
    Not,
    Pattern,
    PatternName,
    Persist,
    PriceRef,
    RuleSet,
    StrategySpec,
)

_FREQ = {"1d": "1D", "1h": "1h", "1wk": "7D", "1mo": "30D"}

HEADER = '''"""StratCrew strategy, generated from a StrategySpec (edit the strategy, not this file).

Signals on bar t use prices up to and including t and trade at t's close. Stops and take-profit are
checked from the next bar on against its open/high/low and fill at the stop level (or at the open
when the bar gaps through it), as vectorbt's from_signals does.
"""

import numpy as np
import pandas as pd
import vectorbt as vbt


def load_data(symbol: str) -> pd.DataFrame:
    """Daily OHLCV for one symbol from Yahoo Finance (the StratCrew service replaces this function)."""
    import yfinance as yf

    frame = yf.Ticker(symbol).history(
        start=START, end=END, interval=INTERVAL, auto_adjust=True, raise_errors=True
    )
    frame.index = frame.index.tz_convert("UTC")
    return frame[["Open", "High", "Low", "Close", "Volume"]]
'''

PRICES = """
# Prices: one column per symbol, dates aligned (a symbol missing on a date has NaN there)
frames = {symbol: load_data(symbol) for symbol in SYMBOLS}
open_price = pd.DataFrame({symbol: frames[symbol]["Open"] for symbol in SYMBOLS}).loc[START:END]
high = pd.DataFrame({symbol: frames[symbol]["High"] for symbol in SYMBOLS}).loc[START:END]
low = pd.DataFrame({symbol: frames[symbol]["Low"] for symbol in SYMBOLS}).loc[START:END]
close = pd.DataFrame({symbol: frames[symbol]["Close"] for symbol in SYMBOLS}).loc[START:END]
volume = pd.DataFrame({symbol: frames[symbol]["Volume"] for symbol in SYMBOLS}).loc[START:END]
"""


def compile_spec(spec: StrategySpec) -> str:
    """The VectorBT script for ``spec``; the same spec always gives byte-identical text."""
    parts = [HEADER, _constants(spec), PRICES, _indicators(spec), _signals(spec), _portfolio(spec)]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts if part)


def _lit(value: object) -> str:
    """Python literal; json keeps strings double-quoted and floats round-trippable."""
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def _constants(spec: StrategySpec) -> str:
    n = len(spec.symbols)
    lines = [
        "",
        "# Backtest settings",
        f"SYMBOLS = {_lit(spec.symbols)}",
        f"START = {_lit(spec.start_date.isoformat())}",
        f"END = {_lit(spec.end_date.isoformat())}  # inclusive",
        f"INTERVAL = {_lit(spec.timeframe)}",
        f"FREQ = {_lit(_FREQ[spec.timeframe])}",
        f"INIT_CASH = {float(spec.initial_capital)!r}",
        f"FEES = {float(spec.fees)!r}  # fraction of each trade's value",
        f"SLIPPAGE = {float(spec.slippage)!r}  # fraction of the price, against us (not on stop fills)",
        f"EXPOSURE = {float(spec.exposure)!r}  # share of the cash an entry may use",
    ]
    sizing = spec.sizing
    if sizing.method == "equal" and n == 1:
        lines += [
            "# Sizing: all available cash x EXPOSURE per entry",
            "SIZE = EXPOSURE",
            'SIZE_TYPE = "percent"',
        ]
    elif sizing.method == "equal":
        lines += [
            "# Sizing, several symbols, shared cash: each entry buys a fixed, equal slice of the starting",
            "# capital (INIT_CASH x EXPOSURE / number of symbols). Profits are not re-invested and open",
            "# positions are never rebalanced; an entry is trimmed to the cash left if a slice is short.",
            "SIZE = INIT_CASH * EXPOSURE / len(SYMBOLS)",
            'SIZE_TYPE = "value"',
        ]
    elif sizing.method == "fixed_fraction":
        lines += [
            "# Sizing: a fixed fraction of the available cash x EXPOSURE per entry",
            f"SIZE = {float(sizing.value or 0)!r} * EXPOSURE",
            'SIZE_TYPE = "percent"',
        ]
    else:
        lines += [
            "# Sizing: a fixed cash amount per entry",
            f"SIZE = {float(sizing.value or 0)!r}",
            'SIZE_TYPE = "value"',
        ]
    lines += [
        _stop_line(
            "SL_STOP", spec.stop_loss if spec.trailing_stop is None else spec.trailing_stop, "stop-loss"
        ),
        f"SL_TRAIL = {spec.trailing_stop is not None}  # True: the stop trails the highest price since entry",
        _stop_line("TP_STOP", spec.take_profit, "take-profit"),
    ]
    for stated in spec.stated_exits:
        lines.append(f"# Node {stated.node_id!r}, rule: {_comment_text(stated.text)}")
        lines.append(f"#   understood as: {_comment_text(stated.understood)}")
    return "\n".join(lines)


def _stop_line(name: str, value: float | None, what: str) -> str:
    if value is None:
        return f"{name} = np.nan  # no {what}"
    return f"{name} = {value!r}  # {what}: {value * 100:g}% from the entry price"


def _indicators(spec: StrategySpec) -> str:
    lines = indicator_section(spec) + pattern_lines(_patterns(spec))
    return "\n".join(lines)


def _patterns(spec: StrategySpec) -> list[PatternName]:
    found: dict[PatternName, None] = {}
    for cond in spec.rule_conditions():
        for item in _walk(cond):
            if isinstance(item, Pattern):
                found.setdefault(item.name)
    return list(found)


def _walk(cond: Condition) -> list[Condition]:
    if isinstance(cond, AllOf | AnyOf):
        return [cond, *(c for item in cond.items for c in _walk(item))]
    if isinstance(cond, Not | Persist):
        return [cond, *_walk(cond.item)]
    return [cond]


def _signals(spec: StrategySpec) -> str:
    lines = ["", "# Signals"]
    lines += _rule_sets(spec.entries, "entries", "entry")
    if spec.exits:
        lines += _rule_sets(spec.exits, "exits", "exit")
    else:
        lines += [
            "# No exit rules: positions close on the stop-loss / take-profit / trailing stop, or stay open",
            "exits = pd.DataFrame(False, index=close.index, columns=close.columns)",
        ]
    return "\n".join(lines)


def _rule_sets(rule_sets: list[RuleSet], target: str, prefix: str) -> list[str]:
    lines: list[str] = []
    set_names: list[str] = []
    for s, rule_set in enumerate(rule_sets, start=1):
        names = []
        for r, rule in enumerate(rule_set.rules, start=1):
            name = f"{prefix}_{s}_{r}" if len(rule_sets) > 1 else f"{prefix}_{r}"
            lines.append(f"# Node {rule_set.node_id!r}, rule {r}: {_comment_text(rule.text)}")
            if rule.understood and rule.understood != rule.text:
                lines.append(f"#   understood as: {_comment_text(rule.understood)}")
            lines.append(f"{name} = {render_condition(rule.condition, top=True)}")
            names.append(name)
        joiner = " & " if rule_set.combine == "all" else " | "
        if len(rule_sets) > 1:
            set_name = f"{prefix}_{s}"
            lines.append(f"{set_name} = {joiner.join(names)}")
            set_names.append(set_name)
        else:
            set_names.append(joiner.join(names))
    if len(rule_sets) > 1:
        lines.append(f"# Any of the {len(rule_sets)} {prefix} nodes")
    lines.append(f"{target} = {' | '.join(set_names)}")
    return lines


def _comment_text(text: str) -> str:
    return " ".join(text.split())


_OP = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def render_expr(expr: Expr) -> str:
    if isinstance(expr, Const):
        return repr(float(expr.value)) if not float(expr.value).is_integer() else str(int(expr.value))
    if isinstance(expr, PriceRef):
        base = source_var(expr.field)
    elif isinstance(expr, IndicatorRef):
        base = expr.indicator.var_name()
    elif isinstance(expr, CustomRef):
        base = expr.name
    else:
        left, right = render_expr(expr.left), render_expr(expr.right)
        if isinstance(expr.left, Arith) and expr.op in ("mul", "div") and expr.left.op in ("add", "sub"):
            left = f"({left})"
        if isinstance(expr.right, Arith) and not (
            expr.op in ("add", "sub") and expr.right.op in ("mul", "div")
        ):
            right = f"({right})"
        return f"{left} {_OP[expr.op]} {right}"
    return base if expr.lag == 0 else f"{base}.shift({expr.lag})"


def _shift(expr: Expr) -> str:
    """The previous bar's value of ``expr`` (a constant is its own previous value)."""
    if isinstance(expr, Const):
        return render_expr(expr)
    text = render_expr(expr)
    return (
        f"{text}.shift(1)" if isinstance(expr, PriceRef | IndicatorRef | CustomRef) else f"({text}).shift(1)"
    )


def _series_refs(cond: Condition) -> list[str]:
    """Every series a condition reads (with its lags, and the previous bar's for a cross), rendered."""
    from app.services.language.spec import condition_exprs

    found: dict[str, None] = {}

    def add(expr: Expr, cross: bool) -> None:
        if isinstance(expr, Arith):
            add(expr.left, cross)
            add(expr.right, cross)
        elif not isinstance(expr, Const):
            found.setdefault(render_expr(expr))
            if cross:
                found.setdefault(_shift(expr))

    for item in _walk(cond):
        if isinstance(item, Cross):
            add(item.left, True)
            add(item.right, True)
        elif isinstance(item, Compare | Extreme):
            for expr in condition_exprs(item):
                add(expr, False)
    return list(found)


def render_condition(cond: Condition, top: bool = False) -> str:
    if isinstance(cond, Compare):
        text = f"{render_expr(cond.left)} {cond.op} {render_expr(cond.right)}"
    elif isinstance(cond, Cross):
        now, before = (">", "<=") if cond.direction == "above" else ("<", ">=")
        left, right = cond.left, cond.right
        text = f"({render_expr(left)} {now} {render_expr(right)}) & ({_shift(left)} {before} {_shift(right)})"
    elif isinstance(cond, Not):
        # NaN compares False, so '~' alone would fire during a warm-up: require every series to exist.
        defined = " & ".join(f"{ref}.notna()" for ref in _series_refs(cond.item))
        text = f"~({render_condition(cond.item, top=True)})" + (f" & {defined}" if defined else "")
    elif isinstance(cond, Persist):
        inner = render_condition(cond.item, top=True)
        text = f"({inner}).astype(float).rolling({cond.bars}).min() == 1"
    elif isinstance(cond, Extreme):
        how, op = ("max", ">=") if cond.which == "high" else ("min", "<=")
        value = render_expr(cond.expr)
        window = (
            f"{value}.rolling"
            if isinstance(cond.expr, PriceRef | IndicatorRef | CustomRef)
            else f"({value}).rolling"
        )
        text = f"{value} {op} {window}({cond.bars}).{how}()"
    elif isinstance(cond, Pattern):
        text = cond.name
    else:
        joiner = " & " if isinstance(cond, AllOf) else " | "
        text = joiner.join(render_condition(item) for item in cond.items)
        assert isinstance(cond, AllOf | AnyOf)
    return text if top else f"({text})"


def _portfolio(spec: StrategySpec) -> str:
    grouping = "    group_by=True,\n    cash_sharing=True,\n" if len(spec.symbols) > 1 else ""
    return f"""
# Backtest: long only; an entry and an exit on the same bar cancel out (vectorbt's default)
portfolio = vbt.Portfolio.from_signals(
    close,
    entries,
    exits,
    open=open_price,
    high=high,
    low=low,
    sl_stop=SL_STOP,
    sl_trail=SL_TRAIL,
    tp_stop=TP_STOP,
    size=SIZE,
    size_type=SIZE_TYPE,
    fees=FEES,
    slippage=SLIPPAGE,
    init_cash=INIT_CASH,
    freq=FREQ,
{grouping})
"""
