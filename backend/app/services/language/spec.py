"""StrategySpec: the typed middle layer between the node graph and the generated code.

Everything the compiler needs, and nothing it has to guess. It is what the user is shown as
"what we understood", so each rule keeps its original words next to its parsed condition.

Expressions are series (a price field, an indicator, a constant) combined with + - *; conditions
compare two expressions, detect a cross, or combine conditions with all/any/not.

>>> from app.services.language.indicators import Indicator
>>> sma = IndicatorRef(indicator=Indicator(kind="sma", period=20))
>>> band = Arith(op="mul", left=sma, right=Const(value=0.95))
>>> cond = Compare(left=PriceRef(field="close"), op="<=", right=band)
>>> describe(cond)
'close <= SMA(20) * 0.95'
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.stops import Distance, Stops
from app.services.language.indicators import Indicator, PriceField, _num


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Const(_Frozen):
    type: Literal["const"] = "const"
    value: float


class PriceRef(_Frozen):
    """A price field; ``lag`` 1 is the previous bar's value (``close.shift(1)``)."""

    type: Literal["price"] = "price"
    field: PriceField
    lag: int = Field(default=0, ge=0)


class IndicatorRef(_Frozen):
    type: Literal["indicator"] = "indicator"
    indicator: Indicator
    lag: int = Field(default=0, ge=0)


class CustomRef(_Frozen):
    """A custom indicator by name (defined by a ``custom_indicator`` node or the user's library)."""

    type: Literal["custom"] = "custom"
    name: str
    lag: int = Field(default=0, ge=0)


class Arith(_Frozen):
    type: Literal["arith"] = "arith"
    op: Literal["add", "sub", "mul", "div"]
    left: Expr
    right: Expr


Expr = Annotated[Const | PriceRef | IndicatorRef | CustomRef | Arith, Field(discriminator="type")]


class Compare(_Frozen):
    type: Literal["compare"] = "compare"
    left: Expr
    op: Literal[">", ">=", "<", "<="]
    right: Expr


class Cross(_Frozen):
    """``left`` crosses ``right``: above means left > right now and left <= right on the previous bar."""

    type: Literal["cross"] = "cross"
    left: Expr
    direction: Literal["above", "below"]
    right: Expr


class AllOf(_Frozen):
    type: Literal["all"] = "all"
    items: list[Condition] = Field(min_length=1)


class AnyOf(_Frozen):
    type: Literal["any"] = "any"
    items: list[Condition] = Field(min_length=1)


class Not(_Frozen):
    """True where ``item`` is false AND every series in it has a value (never during a warm-up)."""

    type: Literal["not"] = "not"
    item: Condition


class Persist(_Frozen):
    """``item`` held on each of the last ``bars`` bars ("for 3 consecutive days", "3 days in a row")."""

    type: Literal["persist"] = "persist"
    item: Condition
    bars: int = Field(ge=1)


class Extreme(_Frozen):
    """``expr`` is the highest (lowest) of the last ``bars`` values, the current one included
    ("close at a 7-day low", "highest volume in 50 days")."""

    type: Literal["extreme"] = "extreme"
    expr: Expr
    which: Literal["high", "low"]
    bars: int = Field(ge=1)


PatternName = Literal[
    "bullish_engulfing", "bearish_engulfing", "inside_bar", "outside_bar", "nr4", "nr7", "hammer",
    "shooting_star", "doji",
]  # fmt: skip


class Pattern(_Frozen):
    """A candle pattern (formulas in `compiler_patterns.py` and docs/language.md)."""

    type: Literal["pattern"] = "pattern"
    name: PatternName


Condition = Annotated[
    Compare | Cross | AllOf | AnyOf | Not | Persist | Extreme | Pattern, Field(discriminator="type")
]


class Rule(_Frozen):
    """One rule as the user wrote it (``text``) and as it was understood (``condition``)."""

    text: str
    condition: Condition
    understood: str = ""


class CustomIndicator(_Frozen):
    """A named formula usable in rules ("spread crosses above 0"); ``expr`` is its reading."""

    name: str
    formula: str
    expr: Expr
    node_id: str = ""


class StatedExit(_Frozen):
    """A rule that states a stop, a take-profit or a time limit rather than a signal ("stop loss 8%",
    "exit after 10 days"): kept with its reading; its effect is in the spec's stop fields."""

    node_id: str
    text: str
    understood: str


class RuleSet(_Frozen):
    """The rules of one entry/exit node, combined with AND (``all``) or OR (``any``)."""

    node_id: str
    combine: Literal["all", "any"] = "all"
    rules: list[Rule] = Field(min_length=1)


class Sizing(_Frozen):
    """How much each entry buys.

    - ``equal``: one symbol: all available cash x exposure. Several symbols: each entry buys a fixed
      slice ``initial_capital x exposure / number of symbols`` (no compounding, never rebalanced while
      open; with cash shared, an entry is trimmed to the cash left).
    - ``fixed_fraction``: ``value x exposure`` of the cash available at the entry (0 < value <= 1).
    - ``fixed_amount``: ``value`` in cash per entry.
    """

    method: Literal["equal", "fixed_fraction", "fixed_amount"] = "equal"
    value: float | None = None


class AtrDistance(_Frozen):
    """A price distance of ``multiple`` x the Wilder ATR(``period``) at the entry bar.

    The ATR of the entry bar uses that bar's high, low and close, all known at its close, when the entry
    fills; the stop is first checked on the next bar, so no later price shapes it (no look-ahead).
    """

    multiple: float = Field(gt=0)
    period: int = Field(default=14, ge=1)

    def indicator(self) -> Indicator:
        return Indicator(kind="atr", period=self.period)

    def label(self) -> str:
        return f"{_num(self.multiple)} x ATR({self.period})"


class StrategySpec(_Frozen):
    """The whole strategy. Stops and targets are fractions (0.05 is 5 %) or ATR distances (the ``*_atr``
    fields; at most one of the two per stop); fees and slippage are fractions of the traded value.

    ``entries``/``exits`` are the long side, ``short_entries``/``short_exits`` the short side; the stops
    apply to both sides, mirrored for shorts. Fills: ``stop_slippage`` applies ``slippage`` to stop and
    take-profit fills too; ``reenter_on_exit_bar`` takes an entry signal on the bar where a stop filled
    (see `app.models.fills` for the exact conventions).
    """

    symbols: list[str] = Field(min_length=1)
    timeframe: Literal["1d", "1h", "1wk", "1mo"] = "1d"
    start_date: date
    end_date: date
    initial_capital: float = Field(gt=0)
    benchmark: str | None = None
    fees: float = Field(default=0.0, ge=0)
    slippage: float = Field(default=0.0, ge=0)
    exposure: float = Field(default=1.0, gt=0, le=1)
    risk_free_rate: float = 0.0
    sizing: Sizing = Sizing()
    entries: list[RuleSet] = []
    exits: list[RuleSet] = []
    short_entries: list[RuleSet] = []
    short_exits: list[RuleSet] = []
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    stop_loss_atr: AtrDistance | None = None
    take_profit_atr: AtrDistance | None = None
    trailing_stop_atr: AtrDistance | None = None
    stop_slippage: bool = False
    reenter_on_exit_bar: bool = False
    exit_after_bars: int | None = Field(default=None, ge=1)
    custom_indicators: list[CustomIndicator] = []
    stated_exits: list[StatedExit] = []  # rules read as a stop, a take-profit or a time limit, not signals

    @model_validator(mode="after")
    def _one_distance_each(self) -> StrategySpec:
        if not (self.entries or self.short_entries):
            raise ValueError("a strategy needs long or short entry rules")
        for pct, atr in (
            (self.stop_loss, self.stop_loss_atr),
            (self.take_profit, self.take_profit_atr),
            (self.trailing_stop, self.trailing_stop_atr),
        ):
            if pct is not None and atr is not None:
                raise ValueError("a stop is in percent or in ATR multiples, not both")
        return self

    def rule_sets(self) -> list[RuleSet]:
        """Every entry and exit node of both sides, in a stable order."""
        return [*self.entries, *self.exits, *self.short_entries, *self.short_exits]

    def rule_conditions(self) -> list[Condition]:
        return [rule.condition for rule_set in self.rule_sets() for rule in rule_set.rules]

    @property
    def has_short(self) -> bool:
        return bool(self.short_entries)

    @property
    def has_long(self) -> bool:
        return bool(self.entries)

    def atr_distances(self) -> list[AtrDistance]:
        found = (self.stop_loss_atr, self.take_profit_atr, self.trailing_stop_atr)
        return [d for d in found if d is not None]

    def stops(self) -> Stops:
        """The exits by price, for the results to explain each trade's exit."""

        def distance(fraction: float | None, atr: AtrDistance | None) -> Distance | None:
            if fraction is not None and fraction > 0:
                return Distance(fraction=fraction)
            if atr is not None:
                return Distance(atr_multiple=atr.multiple, atr_period=atr.period)
            return None

        return Stops(
            distance(self.stop_loss, self.stop_loss_atr),
            distance(self.take_profit, self.take_profit_atr),
            distance(self.trailing_stop, self.trailing_stop_atr),
            self.exit_after_bars,
        )

    def indicators(self) -> list[Indicator]:
        """Every indicator the rules, the custom indicators and the ATR stops use (and the indicators those
        are taken of), once each: inputs before what is computed from them, then by family and parameters."""
        found: dict[str, Indicator] = {}
        exprs = [e for cond in self.rule_conditions() for e in condition_exprs(cond)]
        exprs += [custom.expr for custom in self.custom_indicators]
        for expr in exprs:
            for ind in _expr_indicators(expr):
                for inner in with_inputs(ind):
                    found.setdefault(inner.var_name(), inner)
        for distance in self.atr_distances():
            found.setdefault(distance.indicator().var_name(), distance.indicator())
        return sorted(found.values(), key=lambda i: (_depth(i), i.family, i.params(), i.source, i.kind))

    def indicator_labels(self) -> list[str]:
        return [ind.label() for ind in self.indicators()]

    def longest_window(self) -> int:
        """Bars of history the slowest indicator (or price lag, or ATR stop) needs before its first value."""
        customs = {c.name: c.expr for c in self.custom_indicators}
        longest = 1
        for cond in self.rule_conditions():
            longest = max(longest, _condition_window(cond, customs))
        for distance in self.atr_distances():
            longest = max(longest, distance.indicator().warmup())
        return longest


def with_inputs(ind: Indicator) -> list[Indicator]:
    inner = ind.of if isinstance(ind.of, Indicator) else None
    return [*(with_inputs(inner) if inner is not None else []), ind]


def _depth(ind: Indicator) -> int:
    return 1 + _depth(ind.of) if isinstance(ind.of, Indicator) else 0


def _expr_children(expr: Expr) -> list[Expr]:
    return [expr.left, expr.right] if isinstance(expr, Arith) else []


def _expr_indicators(expr: Expr) -> list[Indicator]:
    if isinstance(expr, IndicatorRef):
        return [expr.indicator]
    return [ind for child in _expr_children(expr) for ind in _expr_indicators(child)]


def condition_exprs(cond: Condition) -> list[Expr]:
    if isinstance(cond, Compare | Cross):
        return [cond.left, cond.right]
    if isinstance(cond, Not | Persist):
        return condition_exprs(cond.item)
    if isinstance(cond, Extreme):
        return [cond.expr]
    if isinstance(cond, Pattern):
        return []
    return [e for item in cond.items for e in condition_exprs(item)]


def expr_customs(expr: Expr) -> list[str]:
    """Names of the custom indicators an expression refers to."""
    if isinstance(expr, CustomRef):
        return [expr.name]
    if isinstance(expr, IndicatorRef) and expr.indicator.of is not None:
        return _indicator_customs(expr.indicator)
    return [name for child in _expr_children(expr) for name in expr_customs(child)]


def _indicator_customs(ind: Indicator) -> list[str]:
    if isinstance(ind.of, str):
        return [ind.of]
    return _indicator_customs(ind.of) if isinstance(ind.of, Indicator) else []


def _condition_indicators(cond: Condition) -> list[Indicator]:
    return [ind for expr in condition_exprs(cond) for ind in _expr_indicators(expr)]


def _expr_window(expr: Expr, extra: int, customs: dict[str, Expr]) -> int:
    if isinstance(expr, IndicatorRef):
        inner = expr.indicator.of
        base = _expr_window(customs[inner], 0, customs) if isinstance(inner, str) and inner in customs else 0
        return base + expr.indicator.warmup() + expr.lag + extra
    if isinstance(expr, PriceRef):
        return 1 + expr.lag + extra
    if isinstance(expr, CustomRef):
        inner_expr = customs.get(expr.name)
        return (_expr_window(inner_expr, 0, customs) if inner_expr is not None else 1) + expr.lag + extra
    if isinstance(expr, Arith):
        return max(_expr_window(expr.left, extra, customs), _expr_window(expr.right, extra, customs))
    return 0


def _condition_window(cond: Condition, customs: dict[str, Expr]) -> int:
    if isinstance(cond, Compare | Cross):
        extra = 1 if isinstance(cond, Cross) else 0
        return max(_expr_window(cond.left, extra, customs), _expr_window(cond.right, extra, customs))
    if isinstance(cond, Not):
        return _condition_window(cond.item, customs)
    if isinstance(cond, Persist):
        return _condition_window(cond.item, customs) + cond.bars - 1
    if isinstance(cond, Extreme):
        return _expr_window(cond.expr, 0, customs) + cond.bars - 1
    if isinstance(cond, Pattern):
        return 7
    return max(_condition_window(item, customs) for item in cond.items)


def describe_expr(expr: Expr) -> str:
    from app.services.language.describe import describe_expr as _describe_expr

    return _describe_expr(expr)


def describe(cond: Condition) -> str:
    """Canonical wording of a condition, shown to the user as what was understood (see `describe.py`)."""
    from app.services.language.describe import describe_condition

    return describe_condition(cond)
