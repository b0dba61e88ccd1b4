"""The second half of a comparison: what is said about the subject ("crosses above the 50 EMA",
"is 5% below the 20-day SMA", "is within 2% of the 200-day SMA", "touches the lower Bollinger band",
"is inside the Keltner channel"). Moves, extremes and slopes are in `parser_moves.py`.
"""

from __future__ import annotations

from typing import Literal

from app.services.language.cursor import NUM, Cursor, may_start, starts
from app.services.language.formula import PERCENT, read_expression
from app.services.language.parser_moves import MoveReader, Op, ago_follows
from app.services.language.series import Subject, lagged, parse_series
from app.services.language.spec import AllOf, Arith, Compare, Condition, Const, Cross, Expr, Not, PriceRef

CROSS_ABOVE = (
    "cross back above", "cross up above", "cross up through", "cross above", "cross through", "cross up",
    "move back above", "move above", "rise back above", "rise above", "break out above", "break above",
    "break through", "breakout above", "jump above", "pop above", "turns above", "closes back above",
)  # fmt: skip
CROSS_BELOW = (
    "cross back below", "cross down below", "cross down through", "cross below", "cross down",
    "move back below", "move below", "drop back below", "drop below", "break down below", "break below",
    "break down through", "breakdown below", "slips below", "turns below", "closes back below",
)  # fmt: skip
COMPARE: tuple[tuple[str, Op], ...] = (
    ("greater or equal", ">="), ("above or equal", ">="), ("at or above", ">="), ("at least", ">="),
    (">=", ">="), ("no less", ">="), ("not below", ">="),
    ("less or equal", "<="), ("below or equal", "<="), ("at or below", "<="), ("at most", "<="),
    ("<=", "<="), ("no more", "<="), ("not above", "<="),
    ("above", ">"), ("greater", ">"), ("more", ">"), ("higher", ">"), ("bigger", ">"), ("larger", ">"),
    (">", ">"), ("exceeds", ">"),
    ("below", "<"), ("less", "<"), ("lower", "<"), ("smaller", "<"), ("fewer", "<"), ("<", "<"),
)  # fmt: skip
_BREAKOUT_LEVELS = ("highest", "lowest")


class TailReader(MoveReader):
    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor
        self.last_subject: Subject | None = None

    @staticmethod
    def close_ref(lag: int = 0) -> PriceRef:
        return PriceRef(field="close", lag=lag)

    def tail(self, subject: Subject) -> Condition | None:
        c = self.c
        negate = c.opt("does not", "doesnt", "isnt", "not", "never") is not None
        key = c.start_key()
        for reader in (
            self.closes_direction,
            self._band,
            self._cross,
            self._within,
            self._inside,
            self._compare,
            self._between,
            self._touch,
            self._range_position,
            self.move,
            self.new_extreme,
            self.at_extreme,
            self.state,
            self.slope,
        ):
            if not may_start(reader, key):
                continue
            mark = c.mark()
            cond = reader(subject)
            if cond is not None:
                return Not(item=cond) if negate else cond
            c.reset(mark)
        c.note("'above'", "'below'", "'crosses above'", "'crosses below'", "'between'", "'touches'")
        return None

    # -- right-hand sides -------------------------------------------------------------------------
    def band(self, ctx: Subject) -> tuple[str, Expr] | None:
        """'5% below the 20-day SMA' -> ('below', SMA(20) * 0.95); '2 ATR above the 20-day SMA' ->
        ('above', SMA(20) + 2 * ATR(14))."""
        c = self.c
        tok = c.number("a number", signed=False)
        if tok is None:
            return None
        atr = None
        if not tok.percent:
            atr = parse_series(c)
            if atr is None or atr.domain != "atr":
                return None
        side = c.phrase("above", "below", "higher", "lower")
        if side is None:
            return None
        side = {"higher": "above", "lower": "below"}.get(side, side)
        base = self.level(ctx, side)
        if base is None:
            return None
        if atr is not None:
            offset = Arith(op="mul", left=Const(value=tok.value), right=atr.expr)
            return side, Arith(op="add" if side == "above" else "sub", left=base, right=offset)
        factor = 1 + tok.value / 100 if side == "above" else 1 - tok.value / 100
        return side, Arith(op="mul", left=base, right=Const(value=round(factor, 12)))

    def level(self, subject: Subject, side: str) -> Expr | None:
        """A series to compare with; a channel named without a side gives its upper line for 'above'
        and its lower line for 'below'; '(it was) 20 days ago' is the subject itself, earlier."""
        c = self.c
        if c.opt("it was", "they were", "was", "were") or ago_follows(c):
            n = c.bars()
            if n is None or not c.opt("ago"):
                return None
            return lagged(subject, n).expr
        found = read_expression(c, subject, allow_const=True)
        if found is None:
            return None
        if found.pair is not None:
            return (found.pair[0] if side == "above" else found.pair[1]).expr
        if found.domain == PERCENT:
            return self._percent_level(subject, found)
        return found.expr

    def _percent_level(self, subject: Subject, found: Subject) -> Expr | None:
        """'RSI below 30%' is 30; 'bandwidth below 5%' is 0.05; 'close above 5%' has no meaning."""
        assert isinstance(found.expr, Const)
        if subject.unit in ("points", "percent"):
            return Const(value=round(found.expr.value * 100, 12))
        if subject.unit == "fraction":
            return found.expr
        self.c.fail(
            "a percent needs a base here, e.g. '5% above the 20-day SMA' or 'ATR(14) below 2% of the close'"
        )
        return None

    # -- tails ----------------------------------------------------------------------------------
    @starts("closes", "stays", "more", "at least", "by", NUM)
    def _band(self, subject: Subject) -> Condition | None:
        """'close is (at least | more than) 5% below the 20-day SMA': the band's side sets the direction."""
        c = self.c
        c.opt("closes", "stays")
        strict = c.opt("more", "at least", "by") == "more"
        banded = self.band(subject)
        if banded is None:
            return None
        side, level = banded
        op: Op = (">" if strict else ">=") if side == "above" else ("<" if strict else "<=")
        return Compare(left=subject.expr, op=op, right=level)

    @starts(CROSS_ABOVE, CROSS_BELOW, "cross")
    def _cross(self, subject: Subject) -> Condition | None:
        """'crosses above X' ('crosses X from below' likewise); against an N-day high or low (a level of
        the PREVIOUS bars) it is a comparison: each close above the 20-day high is a new break of it."""
        c = self.c
        direction: Literal["above", "below"]
        if c.opt(*CROSS_ABOVE):
            direction = "above"
            right = self.level(subject, direction)
        elif c.opt(*CROSS_BELOW):
            direction = "below"
            right = self.level(subject, direction)
        else:
            found = self._cross_from(subject)
            if found is None:
                return None
            direction, right = found
        if right is None:
            return None
        if right.type == "indicator" and right.indicator.kind in _BREAKOUT_LEVELS and right.lag == 0:
            return Compare(left=subject.expr, op=">" if direction == "above" else "<", right=right)
        return Cross(left=subject.expr, direction=direction, right=right)

    def _cross_from(self, subject: Subject) -> tuple[Literal["above", "below"], Expr] | None:
        """'crosses 30 from below' = crosses above 30; 'from above' = crosses below (a bare 'crosses X'
        says no direction, and a channel without its line is ambiguous: both are refused)."""
        c = self.c
        if not c.opt("cross"):
            return None
        mark = c.mark()
        named = read_expression(c, subject, allow_const=True)
        if named is not None and named.pair is not None:
            # 'crosses the Bollinger band from below' may be either line: refused rather than guessed.
            c.fail(
                "say which of the channel's lines it crosses, e.g. 'the lower Bollinger band'",
                max(c.i, c.fail_i),
            )
            return None
        sides: tuple[tuple[Literal["above", "below"], str], ...] = (
            ("above", "from below"),
            ("below", "from above"),
        )
        for direction, side in sides:
            c.reset(mark)
            right = self.level(subject, direction)
            if right is not None and c.opt(side):
                return direction, right
        return None

    @starts("closes", "stays", NUM, (p for p, _ in COMPARE))
    def _compare(self, subject: Subject) -> Condition | None:
        c = self.c
        c.opt("closes", "stays")
        word = c.opt(*(p for p, _ in COMPARE))
        tok = c.peek()
        if word is None and tok is not None and tok.kind == "num" and c.at_word("times", ahead=1):
            word = "at least"  # "volume is 2 times its average"
        if word is None:
            return None
        op = dict(COMPARE)[word]
        right = self.level(subject, "above" if op in (">", ">=") else "below")
        return None if right is None else Compare(left=subject.expr, op=op, right=right)

    @starts("between")
    def _between(self, subject: Subject) -> Condition | None:
        c = self.c
        if not c.opt("between"):
            return None
        low, high = c.number("a number"), None
        if low is not None and c.phrase("and"):
            high = c.number("a number")
        if low is None or high is None:
            return None
        lo, hi = sorted((low.value, high.value))
        return AllOf(
            items=[
                Compare(left=subject.expr, op=">=", right=Const(value=lo)),
                Compare(left=subject.expr, op="<=", right=Const(value=hi)),
            ]
        )

    @starts("within")
    def _within(self, subject: Subject) -> Condition | None:
        """'within 2% of the 200-day SMA' = SMA(200) * 0.98 <= close <= SMA(200) * 1.02;
        'within 1 ATR of the 20-day EMA' = EMA(20) - ATR(14) <= close <= EMA(20) + ATR(14)."""
        c = self.c
        if not c.opt("within"):
            return None
        tok = c.number("a distance such as '2%' or '1 ATR'", signed=False)
        if tok is None:
            return None
        atr = None if tok.percent else parse_series(c)
        if not tok.percent and (atr is None or atr.domain != "atr"):
            c.note("'%' or 'ATR'")
            return None
        base = self.level(subject, "above")
        if base is None:
            return None
        if atr is not None:
            offset = Arith(op="mul", left=Const(value=tok.value), right=atr.expr)
            low: Expr = Arith(op="sub", left=base, right=offset)
            high: Expr = Arith(op="add", left=base, right=offset)
        else:
            low = Arith(op="mul", left=base, right=Const(value=round(1 - tok.value / 100, 12)))
            high = Arith(op="mul", left=base, right=Const(value=round(1 + tok.value / 100, 12)))
        return AllOf(
            items=[
                Compare(left=subject.expr, op=">=", right=low),
                Compare(left=subject.expr, op="<=", right=high),
            ]
        )

    @starts("inside", "within", "outside")
    def _inside(self, subject: Subject) -> Condition | None:
        """'Bollinger bands (20, 2) inside the Keltner channel (20, 1.5)': upper below upper, lower above
        lower (the squeeze); 'outside' the reverse on both sides."""
        c = self.c
        where = c.opt("inside", "within", "outside")
        if where is None or subject.pair is None:
            return None
        other = parse_series(c, subject)
        if other is None or other.pair is None:
            c.note("a channel, e.g. 'the Keltner channel (20, 1.5)'")
            return None
        (up, lo), (o_up, o_lo) = subject.pair, other.pair
        inside = where != "outside"
        return AllOf(
            items=[
                Compare(left=up.expr, op="<" if inside else ">", right=o_up.expr),
                Compare(left=lo.expr, op=">" if inside else "<", right=o_lo.expr),
            ]
        )

    @starts("closes", "in", "within", "at", "bottom", "lower", "top", "upper")
    def _range_position(self, subject: Subject) -> Condition | None:
        """'close in the bottom 20% of the day's range' = (close - low) / (high - low) < 0.2; 'top 25%'
        = > 0.75; 'upper half' = > 0.5 (a bar without range never qualifies)."""
        c = self.c
        if subject.expr.type != "price" or subject.domain not in ("price", "close", "open"):
            return None
        c.opt("closes")
        c.opt("in", "within", "at")
        side = c.opt("bottom", "lower", "top", "upper")
        if side is None:
            return None
        if c.opt("half"):
            share = 50.0
        else:
            tok = c.number("a share of the range such as '20%'", percent=True, signed=False)
            if tok is None:
                return None
            share = tok.value
        c.opt("today", "todays", "day", "bar", "its", "session")
        if not c.opt("range"):
            c.note("'range'")
            return None
        field = PriceRef(field="open" if subject.domain == "open" else "close")
        high, low = PriceRef(field="high"), PriceRef(field="low")
        position = Arith(
            op="div", left=Arith(op="sub", left=field, right=low), right=Arith(op="sub", left=high, right=low)
        )
        if side in ("bottom", "lower"):
            return Compare(left=position, op="<", right=Const(value=round(share / 100, 12)))
        return Compare(left=position, op=">", right=Const(value=round(1 - share / 100, 12)))

    @starts("touch")
    def _touch(self, subject: Subject) -> Condition | None:
        """'price touches the lower Bollinger band' = the bar's low reaches it (low <= band); upper
        band/highs use the bar's high; 'close touches ...' uses the close; 'low touches the 20 EMA' (any
        price field) and any other level: the level lies inside the bar's range (low <= level <= high)."""
        c = self.c
        if not c.opt("touch"):
            return None
        c.opt("or cross", "or break")
        target = parse_series(c, subject)
        if target is None:
            return None
        if target.pair is not None:
            c.note("'upper' or 'lower'")
            return None
        kind = target.indicator.kind if target.indicator is not None else target.domain
        upper = kind in ("bb_upper", "kc_upper", "highest", "high")
        lower = kind in ("bb_lower", "kc_lower", "lowest", "low")
        if subject.domain == "close" and (upper or lower):
            return Compare(left=subject.expr, op=">=" if upper else "<=", right=target.expr)
        if subject.domain not in ("price", "close", "high", "low", "open") or subject.expr.type != "price":
            c.note("'price', 'high' or 'low' before 'touches'")
            return None
        high, low = PriceRef(field="high"), PriceRef(field="low")
        if subject.domain == "price" and upper:
            return Compare(left=high, op=">=", right=target.expr)
        if subject.domain == "price" and lower:
            return Compare(left=low, op="<=", right=target.expr)
        return AllOf(
            items=[
                Compare(left=low, op="<=", right=target.expr),
                Compare(left=high, op=">=", right=target.expr),
            ]
        )
