"""Evaluates the corpus's reference notation (see ``real_rules_corpus.json`` "notation") on real bars with
the independent numpy references, so a rule's reading is checked by what it computes, not by its text.

A condition evaluates to ``(value, defined)``: ``defined`` is False on bars where an operand has no
value yet; ``not_`` is true only where its operand is defined (a rule never fires during warm-up).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.services.language import lang_reference as ref
from tests.services.language import lang_reference_families as fam

Arr = np.ndarray


@dataclass(frozen=True)
class Stop:
    kind: str  # "stop_loss" | "trailing_stop" | "take_profit"
    pct: float | None = None
    atr: float | None = None
    period: int | None = None


@dataclass(frozen=True)
class TimeExit:
    bars: int
    signal: Arr | None = None  # "whichever comes first": the exit signal alongside the time limit


@dataclass(frozen=True)
class Cond:
    value: Arr
    defined: Arr


class NoReference(Exception):
    """The notation names something the references do not compute (the rule must then be refused)."""


def _nan_mask(*arrays: Any) -> Arr:
    masks = [~np.isnan(a) for a in arrays if isinstance(a, np.ndarray)]
    out = np.ones(len(masks[0]), dtype=bool) if masks else None
    for m in masks:
        out = out & m  # type: ignore[operator]
    return out  # type: ignore[return-value]


class Evaluator:
    def __init__(self, bars: dict[str, Arr]) -> None:
        self.b = bars
        o, h, lo, c, v = (bars[k] for k in ("open", "high", "low", "close", "volume"))
        self.n = len(c)
        self.series: dict[str, Callable[..., Arr]] = {
            "shift": lambda x, n: ref.lag(x, int(n)),
            "sma": lambda x, n: ref.sma(x, int(n)),
            "ema": lambda x, n: ref.ema(x, int(n)),
            "rsi": lambda x, n: ref.rsi(x, int(n)),
            "macd": lambda f, s, g: ref.macd(c, int(f), int(s), int(g))[0],
            "macd_signal": lambda f, s, g: ref.macd(c, int(f), int(s), int(g))[1],
            "macd_hist": lambda f, s, g: ref.macd(c, int(f), int(s), int(g))[2],
            "bb_upper": lambda n, k: ref.bollinger(c, int(n), float(k))[0],
            "bb_mid": lambda n: ref.sma(c, int(n)),
            "bb_lower": lambda n, k: ref.bollinger(c, int(n), float(k))[2],
            "bb_pctb": self._pctb,
            "bb_width": self._bbw,
            "kc_upper": lambda n, k: fam.keltner(h, lo, c, int(n), float(k))[0],
            "kc_lower": lambda n, k: fam.keltner(h, lo, c, int(n), float(k))[2],
            "dc_upper": lambda n: ref.prev_highest(h, int(n)),
            "dc_lower": lambda n: ref.prev_lowest(lo, int(n)),
            "dc_mid": lambda n: (ref.prev_highest(h, int(n)) + ref.prev_lowest(lo, int(n))) / 2,
            "highest": lambda x, n: fam.highest(x, int(n)),
            "lowest": lambda x, n: fam.lowest(x, int(n)),
            "atr": lambda n: ref.atr(h, lo, c, int(n)),
            "adx": lambda n: fam.dmi(h, lo, c, int(n))[2],
            "pdi": lambda n: fam.dmi(h, lo, c, int(n))[0],
            "mdi": lambda n: fam.dmi(h, lo, c, int(n))[1],
            "cci": lambda n: ref.cci(h, lo, c, int(n)),
            "willr": lambda n: fam.willr(h, lo, c, int(n)),
            "mfi": lambda n: fam.mfi(h, lo, c, v, int(n)),
            "obv": lambda: fam.obv(c, v),
            "vwap": lambda n: fam.vwap(h, lo, c, v, int(n)),
            "stoch_k": lambda n, ks: fam.stoch(h, lo, c, int(n), int(ks), 1)[0],
            "stoch_d": lambda n, ks, ds: fam.stoch(h, lo, c, int(n), int(ks), int(ds))[1],
            "pct": lambda x, n: fam.pct_change(x, int(n)),
            "roc": lambda x, n: fam.pct_change(x, int(n)),
            "gap_pct": lambda: 100 * (o / ref.lag(c, 1) - 1),
            "tema": lambda x, n: fam.tema(x, int(n)),
            "add": lambda a, b: a + b,
            "sub": lambda a, b: a - b,
            "mul": lambda a, b: a * b,
            "div": self._div,
            "abs_": np.abs,
        }
        self.candles = {
            name: getattr(fam, name)
            for name in ("bull_engulf", "bear_engulf", "inside_bar", "outside_bar", "nr7", "hammer", "doji")
        }

    def _pctb(self, n: float, k: float) -> Arr:
        upper, _, lower = ref.bollinger(self.b["close"], int(n), float(k))
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.b["close"] - lower) / (upper - lower)

    def _bbw(self, n: float, k: float) -> Arr:
        upper, mid, lower = ref.bollinger(self.b["close"], int(n), float(k))
        return (upper - lower) / mid

    @staticmethod
    def _div(a: Any, b: Any) -> Any:
        with np.errstate(invalid="ignore", divide="ignore"):
            return a / b

    # -- evaluation ----------------------------------------------------------------------------------
    def evaluate(self, text: str) -> Arr | Stop | TimeExit:
        node = ast.parse(text, mode="eval").body
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        name = node.func.id
        kwargs = {kw.arg: self._const(kw.value) for kw in node.keywords}
        if name in ("stop_loss", "trailing_stop", "take_profit"):
            return Stop(name, kwargs.get("pct"), kwargs.get("atr"), _int(kwargs.get("period")))
        if name == "time_exit":
            return TimeExit(int(kwargs["bars"]))
        if name == "first_of":
            signal, limit = node.args
            timed = self.evaluate(ast.unparse(limit))
            assert isinstance(timed, TimeExit)
            return TimeExit(timed.bars, self.signal(self.cond(signal)))
        return self.signal(self.cond(node))

    @staticmethod
    def signal(cond: Cond) -> Arr:
        return cond.value & cond.defined

    @staticmethod
    def _const(node: ast.expr) -> float:
        value = ast.literal_eval(node)
        assert isinstance(value, int | float)
        return float(value)

    def cond(self, node: ast.expr) -> Cond:
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), ast.unparse(node)
        name, args = node.func.id, node.args
        if name in ("gt", "lt", "ge", "le", "eq"):
            a, b = (self.expr(x) for x in args)
            with np.errstate(invalid="ignore"):
                value = {"gt": a > b, "lt": a < b, "ge": a >= b, "le": a <= b, "eq": a == b}[name]
            return Cond(np.asarray(value, dtype=bool), _nan_mask(a, b))
        if name in ("xa", "xb"):
            a, b = (self.expr(x) for x in args)
            b = np.broadcast_to(np.asarray(b, dtype=float), (self.n,)).astype(float)
            a1, b1 = ref.lag(a, 1), ref.lag(b, 1)
            with np.errstate(invalid="ignore"):
                value = (a > b) & (a1 <= b1) if name == "xa" else (a < b) & (a1 >= b1)
            return Cond(value, _nan_mask(a, b, a1, b1))
        if name in ("and_", "or_"):
            parts = [self.cond(x) for x in args]
            value = parts[0].value & parts[0].defined
            defined = parts[0].defined
            for p in parts[1:]:
                fired = p.value & p.defined
                value = (value & fired) if name == "and_" else (value | fired)
                defined = defined & p.defined
            return Cond(value, defined)
        if name == "not_":
            inner = self.cond(args[0])
            return Cond(~inner.value & inner.defined, inner.defined)
        if name == "run":
            inner = self.cond(args[0])
            n = int(self._const(args[1]))
            fired = inner.value & inner.defined
            out = np.zeros(self.n, dtype=bool)
            for i in range(n - 1, self.n):
                out[i] = fired[i - n + 1 : i + 1].all()
            return Cond(out, np.ones(self.n, dtype=bool))
        if name in self.candles:
            b = self.b
            value = self.candles[name](b["open"], b["high"], b["low"], b["close"])
            return Cond(np.asarray(value, dtype=bool), np.ones(self.n, dtype=bool))
        raise NoReference(name)

    def expr(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.b[node.id]
        if isinstance(node, ast.Constant | ast.UnaryOp):
            return self._const(node)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), ast.unparse(node)
        fn = self.series.get(node.func.id)
        if fn is None:
            raise NoReference(node.func.id)
        return fn(*(self.expr(a) for a in node.args))


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
