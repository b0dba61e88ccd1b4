"""StrategySpec -> VectorBT source: deterministic, commented in the user's words, runnable alone.

Layout (the contract in docs/internals.md): a docstring stating how orders fill (`app.models.fills`);
imports; a ``load_data`` stub (yfinance; the service replaces it); UPPERCASE constants; price frames with
up to ``WARMUP_BARS`` bars of history before ``START`` (`history.py`); indicators; each rule with its text
as a comment; ``entries``/``exits`` (and ``short_entries``/``short_exits``); ATR stop fractions; the
backtest window from ``START``; ``portfolio = vbt.Portfolio.from_signals(...)`` (`compiler_portfolio.py`).

Timing: every signal on bar t uses data up to t and trades at t's close; stops are checked from the
next bar on against its open/high/low and fill at the stop price (or the open if it gapped through).
"""

from __future__ import annotations

import json
import textwrap

from app.models.fills import fill_conventions
from app.services.language.compiler_engine import order_loop
from app.services.language.compiler_indicators import indicator_section, source_var
from app.services.language.compiler_patterns import pattern_lines
from app.services.language.compiler_portfolio import (
    atr_stop_lines,
    needs_order_loop,
    portfolio_call,
    sizing_lines,
    stop_constant_lines,
    window_lines,
)
from app.services.language.history import history_bars, history_start
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

{conventions}
"""

import math

import numpy as np
import pandas as pd
import vectorbt as vbt


def load_data(symbol: str) -> pd.DataFrame:
    """Daily OHLCV for one symbol from Yahoo Finance (the StratCrew service replaces this function)."""
    import yfinance as yf

    frame = yf.Ticker(symbol).history(
        start=DATA_START, end=END, interval=INTERVAL, auto_adjust=True, raise_errors=True
    )
    frame.index = frame.index.tz_convert("UTC")
    return frame[["Open", "High", "Low", "Close", "Volume"]]
'''

PRICES = """
# Prices: one column per symbol, dates aligned (a symbol missing on a date has NaN there). Up to
# WARMUP_BARS bars before START are kept, where the data has them, so that the indicators already have
# values on START's bar; the backtest itself (orders, equity, metrics) starts at START.
frames = {symbol: load_data(symbol) for symbol in SYMBOLS}
open_price = pd.DataFrame({symbol: frames[symbol]["Open"] for symbol in SYMBOLS}).loc[:END]
high = pd.DataFrame({symbol: frames[symbol]["High"] for symbol in SYMBOLS}).loc[:END]
low = pd.DataFrame({symbol: frames[symbol]["Low"] for symbol in SYMBOLS}).loc[:END]
close = pd.DataFrame({symbol: frames[symbol]["Close"] for symbol in SYMBOLS}).loc[:END]
volume = pd.DataFrame({symbol: frames[symbol]["Volume"] for symbol in SYMBOLS}).loc[:END]
first_bar = int(close.index.searchsorted(pd.Timestamp(START, tz="UTC")))
history = slice(max(0, first_bar - WARMUP_BARS), None)
open_price, high, low, close, volume = (f.iloc[history] for f in (open_price, high, low, close, volume))
"""


def compile_spec(spec: StrategySpec) -> str:
    """The VectorBT script for ``spec``; the same spec always gives byte-identical text."""
    parts = [
        _header(spec),
        _constants(spec),
        PRICES,
        _indicators(spec),
        _signals(spec),
        atr_stop_lines(spec),
        window_lines(spec),
        order_loop(spec) if needs_order_loop(spec) else portfolio_call(spec),
    ]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts if part)


def _header(spec: StrategySpec) -> str:
    lines = ["How orders fill (see the constants and the from_signals call below):"]
    for convention in fill_conventions(spec):
        lines += textwrap.wrap(
            f"{convention.title}: {convention.text}", width=108, initial_indent="- ", subsequent_indent="  "
        )
    return HEADER.replace("{conventions}", "\n".join(lines))


def _lit(value: object) -> str:
    """Python literal; json keeps strings double-quoted and floats round-trippable."""
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def _constants(spec: StrategySpec) -> str:
    lines = [
        "",
        "# Backtest settings",
        f"SYMBOLS = {_lit(spec.symbols)}",
        f"START = {_lit(spec.start_date.isoformat())}",
        f"END = {_lit(spec.end_date.isoformat())}  # inclusive",
        f"WARMUP_BARS = {history_bars(spec)}  # bars before START the indicators are computed on",
        f"DATA_START = {_lit(history_start(spec).isoformat())}  # early enough to hold WARMUP_BARS bars",
        f"INTERVAL = {_lit(spec.timeframe)}",
        f"FREQ = {_lit(_FREQ[spec.timeframe])}",
        f"INIT_CASH = {float(spec.initial_capital)!r}",
        f"FEES = {float(spec.fees)!r}  # fraction of each trade's value",
        f"SLIPPAGE = {float(spec.slippage)!r}  # fraction of the price, against us",
        f"EXPOSURE = {float(spec.exposure)!r}  # share of the cash an entry may use",
    ]
    lines += sizing_lines(spec)
    lines += stop_constant_lines(spec)
    for stated in spec.stated_exits:
        lines.append(f"# Node {stated.node_id!r}, rule: {_comment_text(stated.text)}")
        lines.append(f"#   understood as: {_comment_text(stated.understood)}")
    return "\n".join(lines)


def _indicators(spec: StrategySpec) -> str:
    lines = indicator_section(spec) + pattern_lines(patterns_of(spec))
    return "\n".join(lines)


def patterns_of(spec: StrategySpec) -> list[PatternName]:
    """The candle patterns the rules use, once each, in order of use."""
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
    sides = (
        (spec.entries, "entries", "entry", "# No long entry rules: this strategy only goes short"),
        (
            spec.exits,
            "exits",
            "exit",
            "# No long exit rules: long positions close on a stop/target, or stay open",
        ),
        (spec.short_entries, "short_entries", "short_entry", ""),
        (
            spec.short_exits,
            "short_exits",
            "short_exit",
            "# No short exit rules: shorts close on a stop/target",
        ),
    )
    for rule_sets, target, prefix, missing in sides:
        if rule_sets:
            lines += _rule_sets(rule_sets, target, prefix)
        elif target in ("entries", "exits") or spec.has_short:
            lines += [missing, f"{target} = pd.DataFrame(False, index=close.index, columns=close.columns)"]
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
