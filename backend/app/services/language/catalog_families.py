"""Every indicator family: names, parameters, formula, TA-Lib differences and the pandas lines.

Conventions shared by all: series are DataFrames with one column per symbol; warm-up bars are NaN (a
comparison with NaN is False, so nothing fires before an indicator exists); every formula uses bars up to
t only. "Wilder average" = ``ewm(alpha=1/n, adjust=False)`` seeded with the first value, NaN for the first
n - 1 values. Registered on import (see `catalog.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services.language.catalog import Family, Output, Param, register

if TYPE_CHECKING:
    from app.services.language.indicators import Indicator

_SOURCE_VAR = {"open": "open_price", "high": "high", "low": "low", "close": "close", "volume": "volume"}
LENGTH = Param("length", "period", 14)
OSC = (0.0, 100.0)


def source_var(field: str) -> str:
    return _SOURCE_VAR[field]


def wilder(expr: str, n: int) -> str:
    return f"({expr}).ewm(alpha=1 / {n}, adjust=False, min_periods={n}).mean()"


def true_range_lines() -> list[str]:
    return [
        "previous_close = close.shift(1)",
        "true_range = np.maximum(high - low, np.maximum((high - previous_close).abs(), "
        "(low - previous_close).abs()))",
    ]


def _ewm(n: int) -> str:
    return f".ewm(span={n}, adjust=False, min_periods={n}).mean()"


def _src(ind: Indicator) -> str:
    return ind.input_var(source_var(ind.source))


def _length(default: int) -> Param:
    return Param("length", "period", default)


def _n(ind: Indicator) -> int:
    return ind.period


def _n1(ind: Indicator) -> int:
    return ind.period + 1


def _suffix(ind: Indicator) -> str:
    return ind.var_name().split("_", 2)[2] if ind.kind.count("_") else ind.var_name()


# -- moving averages and other transforms of one series --------------------------------------------------

register(Family(
    key="sma", title="SMA", names=("simple moving average", "sma"), params=(_length(20),),
    outputs=(Output("sma", "SMA"),), takes_input=True, reader="special",
    formula="SMA(n) = mean of the last n values.", talib="",
    lines=lambda i: [f"{i.var_name()} = {_src(i)}.rolling({i.period}).mean()"], warmup=_n,
))  # fmt: skip
register(Family(
    key="volume_sma", title="Volume SMA", names=(), params=(_length(20),),
    outputs=(Output("volume_sma", "Volume SMA", unit="volume", bounds=(0.0, float("inf"))),),
    reader="special",
    formula="Volume SMA(n) = mean volume of the last n bars.", talib="",
    lines=lambda i: [f"{i.var_name()} = volume.rolling({i.period}).mean()"], warmup=_n,
))  # fmt: skip
register(Family(
    key="ema", title="EMA", names=("exponential moving average", "ema"), params=(_length(20),),
    outputs=(Output("ema", "EMA"),), takes_input=True, reader="special",
    formula="EMA(n): recursive average, alpha = 2 / (n + 1), seeded with the first value "
    "(pandas ewm(span=n, adjust=False)), NaN for the first n - 1 values.",
    talib="TA-Lib seeds with the SMA of the first n values; the two converge after a few times n bars.",
    lines=lambda i: [f"{i.var_name()} = {_src(i)}{_ewm(i.period)}"],
    warmup=_n,
))  # fmt: skip
register(Family(
    key="wma", title="WMA", names=("weighted moving average", "wma"), params=(_length(20),),
    outputs=(Output("wma", "WMA"),), takes_input=True, reader="special",
    formula="WMA(n) = sum(w_i * x_i) / sum(w_i) over the last n values, weights 1..n (newest weighs n).",
    talib="",
    lines=lambda i: [
        f"{i.var_name()}_weights = np.arange(1, {i.period + 1})",
        f"{i.var_name()} = {_src(i)}.rolling({i.period}).apply(lambda window: np.dot(window, "
        f"{i.var_name()}_weights) / {i.var_name()}_weights.sum(), raw=True)",
    ],
    warmup=_n,
))  # fmt: skip


def _tema(i: Indicator) -> list[str]:
    name, n = i.var_name(), i.period
    ewm = f".ewm(span={n}, adjust=False, min_periods={n}).mean()"
    return [
        f"{name}_e1 = {_src(i)}{ewm}",
        f"{name}_e2 = {name}_e1{ewm}",
        f"{name}_e3 = {name}_e2{ewm}",
        f"{name} = 3 * {name}_e1 - 3 * {name}_e2 + {name}_e3",
    ]


register(Family(
    key="tema", title="TEMA", names=("triple exponential moving average", "tema"), params=(_length(20),),
    outputs=(Output("tema", "TEMA"),), takes_input=True,
    formula="TEMA(n) = 3 * EMA1 - 3 * EMA2 + EMA3, where EMA1 = EMA(n) of the series, EMA2 = EMA(n) of EMA1, "
    "EMA3 = EMA(n) of EMA2 (each EMA as above).",
    talib="TA-Lib seeds each EMA with an SMA, so early values differ; NaN here for the first 3n - 3 bars.",
    lines=_tema, warmup=lambda i: 3 * i.period - 2,
))  # fmt: skip
register(Family(
    key="sum", title="Sum", names=("cumulative", "sum"), params=(_length(2),),
    outputs=(Output("sum", "Sum"),), takes_input=True, reader="special",
    formula="Sum(n) of X = X added up over the last n bars (Connors' cumulative RSI is Sum(2) of RSI(2)).",
    talib="",
    lines=lambda i: [f"{i.var_name()} = {_src(i)}.rolling({i.period}).sum()"], warmup=_n,
))  # fmt: skip
register(Family(
    key="roc", title="ROC", names=("rate of change", "roc", "momentum"), params=(_length(10),),
    outputs=(Output("roc", "ROC", unit="percent", bounds=(-100.0, float("inf"))),), takes_input=True,
    formula="ROC(n) = 100 * (close / close n bars ago - 1), in percent; 'N-day momentum' is read as ROC(N).",
    talib="TA-Lib's MOM is the difference close - close n bars ago (same sign as ROC, other scale).",
    lines=lambda i: [f"{i.var_name()} = 100 * ({_src(i)} / {_src(i)}.shift({i.period}) - 1)"], warmup=_n1,
))  # fmt: skip


def _extreme(i: Indicator, how: str) -> list[str]:
    return [f"{i.var_name()} = {_src(i)}.rolling({i.period}).{how}().shift(1)"]


register(Family(
    key="highest", title="Highest/Lowest (N-day high/low)",
    names=(), params=(_length(20),), reader="special", takes_input=True,
    outputs=(Output("highest", "Highest"), Output("lowest", "Lowest")),
    formula="Highest high(n) / Lowest low(n) = max high / min low of the PREVIOUS n bars (bar t excluded, so "
    "'close above the 20-day high' is a breakout, not a tautology); Highest close(n) likewise on closes. "
    "The Donchian channel's upper/lower lines are Highest high(n) / Lowest low(n).",
    talib="TA-Lib's MAX/MIN include the current bar; TradingView's Donchian channel too (there a close can "
    "never be above the upper line).",
    lines=lambda i: _extreme(i, "max" if i.kind == "highest" else "min"), warmup=_n1,
))  # fmt: skip
register(Family(
    key="dc", title="Donchian channel", names=("donchian channel", "donchian"), params=(_length(20),),
    outputs=(Output("dc_middle", "Donchian middle", ("middle", "mid", "midline", "centre", "center")),),
    formula="Donchian middle(n) = (Highest high(n) + Lowest low(n)) / 2, over the PREVIOUS n bars; the upper "
    "and lower lines are Highest high(n) and Lowest low(n).",
    talib="(no TA-Lib function)",
    lines=lambda i: [
        f"{i.var_name()} = (high.rolling({i.period}).max().shift(1) + "
        f"low.rolling({i.period}).min().shift(1)) / 2"
    ],
    warmup=_n1,
))  # fmt: skip


# -- oscillators -----------------------------------------------------------------------------------------


def _rsi(i: Indicator) -> list[str]:
    name, n = i.var_name(), i.period
    return [
        f"{name}_change = {_src(i)}.diff()",
        f"{name}_gain = {wilder(f'{name}_change.clip(lower=0)', n)}",
        f"{name}_loss = {wilder(f'-{name}_change.clip(upper=0)', n)}",
        f"{name} = 100 - 100 / (1 + {name}_gain / {name}_loss)",
    ]


register(Family(
    key="rsi", title="RSI", names=("relative strength index", "rsi"), params=(_length(14),),
    outputs=(Output("rsi", "RSI", unit="points", bounds=OSC),),
    formula="RSI(n) = 100 - 100 / (1 + avg gain / avg loss); gains and losses are close-to-close changes, "
    "Wilder-averaged (alpha = 1/n, seeded with the first change); NaN for the first n bars.",
    talib="TA-Lib seeds the averages with the simple mean of the first n changes; values converge.",
    lines=_rsi, warmup=_n1,
))  # fmt: skip


def _macd(i: Indicator) -> list[str]:
    suffix = f"{i.period}_{i.slow}_{i.signal}"
    warm = (i.slow or 0) + (i.signal or 0) - 2
    return [
        f"macd_{suffix} = close.ewm(span={i.period}, adjust=False).mean() - "
        f"close.ewm(span={i.slow}, adjust=False).mean()",
        f"macd_signal_{suffix} = macd_{suffix}.ewm(span={i.signal}, adjust=False).mean()",
        f"macd_hist_{suffix} = macd_{suffix} - macd_signal_{suffix}",
        f"# no MACD value until the slow EMA ({i.slow}) and the signal ({i.signal}) have their bars",
        f"macd_{suffix}.iloc[:{warm}] = np.nan",
        f"macd_signal_{suffix}.iloc[:{warm}] = np.nan",
        f"macd_hist_{suffix}.iloc[:{warm}] = np.nan",
    ]


register(Family(
    key="macd", title="MACD", names=("macd",), reader="special",
    params=(Param("fast", "period", 12), Param("slow", "slow", 26), Param("signal", "signal", 9)),
    outputs=(
        Output("macd", "MACD", ("line",)), Output("macd_signal", "MACD signal", ("signal",)),
        Output("macd_hist", "MACD histogram", ("histogram",)),
    ),
    formula="MACD(f,s,g): line = EMA(f) - EMA(s) of the close (EMAs without NaN warm-up); signal = EMA(g) of "
    "the line; histogram = line - signal; NaN until bar s + g - 2.",
    talib="TA-Lib seeds its EMAs with SMAs; values converge.",
    lines=_macd, warmup=lambda i: max(i.period, i.slow or 0) + (i.signal or 0),
))  # fmt: skip


def _stoch(i: Indicator) -> list[str]:
    n, ks, ds = i.period, i.smooth or 1, i.signal or 3
    suffix = f"{n}_{ks}_{ds}"
    raw = f"100 * (close - stoch_low_{suffix}) / (stoch_high_{suffix} - stoch_low_{suffix})"
    k_line = f"stoch_k_{suffix} = {raw}" if ks == 1 else f"stoch_k_{suffix} = ({raw}).rolling({ks}).mean()"
    return [
        f"stoch_low_{suffix} = low.rolling({n}).min()",
        f"stoch_high_{suffix} = high.rolling({n}).max()",
        k_line,
        f"stoch_d_{suffix} = stoch_k_{suffix}.rolling({ds}).mean()",
    ]


register(Family(
    key="stoch", title="Stochastic", names=("slow stochastic", "fast stochastic", "stochastic"),
    reader="special",
    params=(
        Param("length", "period", 14), Param("%K smoothing", "smooth", 1), Param("%D smoothing", "signal", 3)
    ),
    outputs=(
        Output("stoch_k", "Stochastic %K", ("%k", "k"), unit="points", bounds=OSC),
        Output("stoch_d", "Stochastic %D", ("%d", "d"), unit="points", bounds=OSC),
    ),
    formula="Stochastic(n, k, d): raw = 100 * (close - lowest low of n) / (highest high of n - lowest low "
    "of n); %K = SMA(k) of raw (k = 1: the fast stochastic); %D = SMA(d) of %K. Plain 'stochastic' is "
    "(14, 1, 3) (TradingView's default); 'slow stochastic' is (14, 3, 3).",
    talib="TA-Lib STOCH has the same (fastk, slowk, slowd) order with defaults (5, 3, 3).",
    lines=_stoch, warmup=lambda i: i.period + (i.smooth or 1) + (i.signal or 3) - 2,
    extra_defaults={"slow stochastic": 3},
))  # fmt: skip


def _cci(i: Indicator) -> list[str]:
    name, n = i.var_name(), i.period
    return [
        f"{name}_tp = (high + low + close) / 3",
        f"{name}_mad = {name}_tp.rolling({n}).apply("
        "lambda window: np.abs(window - window.mean()).mean(), raw=True)",
        f"{name} = ({name}_tp - {name}_tp.rolling({n}).mean()) / (0.015 * {name}_mad)",
    ]


register(Family(
    key="cci", title="CCI", names=("commodity channel index", "cci"), params=(_length(20),),
    outputs=(Output("cci", "CCI", unit="points"),),
    formula="CCI(n) = (TP - SMA(TP, n)) / (0.015 * mean absolute deviation of TP over n), TP = (high + low + "
    "close) / 3. Default length 20 (Lambert).",
    talib="TA-Lib's default length is 14.",
    lines=_cci, warmup=_n,
))  # fmt: skip


def _willr(i: Indicator) -> list[str]:
    name, n = i.var_name(), i.period
    return [
        f"{name}_high = high.rolling({n}).max()",
        f"{name}_low = low.rolling({n}).min()",
        f"{name} = -100 * ({name}_high - close) / ({name}_high - {name}_low)",
    ]


register(Family(
    key="willr", title="Williams %R", names=("williams %r", "williams r", "williams", "%r"),
    params=(_length(14),),
    outputs=(Output("willr", "Williams %R", unit="points", bounds=(-100.0, 0.0)),),
    formula="Williams %R(n) = -100 * (highest high of n - close) / (highest high of n - lowest low of n), "
    "from -100 (at the low) to 0 (at the high).",
    talib="",
    lines=_willr, warmup=_n,
))  # fmt: skip


def _mfi(i: Indicator) -> list[str]:
    name, n = i.var_name(), i.period
    return [
        f"{name}_tp = (high + low + close) / 3",
        f"{name}_flow = {name}_tp * volume",
        f"{name}_up = {name}_flow.where({name}_tp > {name}_tp.shift(1), 0.0).rolling({n}).sum()",
        f"{name}_down = {name}_flow.where({name}_tp < {name}_tp.shift(1), 0.0).rolling({n}).sum()",
        f"{name} = (100 - 100 / (1 + {name}_up / {name}_down)).where({name}_tp.shift({n}).notna())",
    ]


register(Family(
    key="mfi", title="MFI", names=("money flow index", "mfi"), params=(_length(14),),
    outputs=(Output("mfi", "MFI", unit="points", bounds=OSC),),
    formula="MFI(n) = 100 - 100 / (1 + positive flow / negative flow) over the last n bars; a bar's flow is "
    "TP * volume (TP = (high + low + close) / 3), positive when TP rose from the bar before, negative when "
    "it "
    "fell; NaN for the first n bars.",
    talib="",
    lines=_mfi, warmup=_n1,
))  # fmt: skip


# -- trend strength and volatility -----------------------------------------------------------------------


def _atr(i: Indicator) -> list[str]:
    return [*true_range_lines(), f"{i.var_name()} = {wilder('true_range', i.period)}"]


register(Family(
    key="atr", title="ATR", names=("average true range", "atr"), params=(_length(14),),
    outputs=(Output("atr", "ATR", bounds=(0.0, float("inf"))),),
    formula="ATR(n) = Wilder average of the true range max(high - low, |high - previous close|, "
    "|low - previous close|).",
    talib="TA-Lib seeds with the simple mean of the first n true ranges; values converge.",
    lines=_atr, warmup=_n1,
))  # fmt: skip


def _dmi(i: Indicator) -> list[str]:
    n = i.period
    dm = f"dmi_{n}"
    return [
        *true_range_lines(),
        f"{dm}_up = high.diff()",
        f"{dm}_down = -low.diff()",
        f"{dm}_plus_dm = {dm}_up.where(({dm}_up > {dm}_down) & ({dm}_up > 0), 0.0)",
        f"{dm}_minus_dm = {dm}_down.where(({dm}_down > {dm}_up) & ({dm}_down > 0), 0.0)",
        f"{dm}_atr = {wilder('true_range', n)}",
        f"plus_di_{n} = 100 * {wilder(f'{dm}_plus_dm', n)} / {dm}_atr",
        f"minus_di_{n} = 100 * {wilder(f'{dm}_minus_dm', n)} / {dm}_atr",
        f"{dm}_dx = 100 * (plus_di_{n} - minus_di_{n}).abs() / (plus_di_{n} + minus_di_{n})",
        f"adx_{n} = {wilder(f'{dm}_dx', n)}",
    ]


register(Family(
    key="dmi", title="ADX, +DI, -DI", names=(), params=(_length(14),), reader="special",
    outputs=(
        Output("adx", "ADX", ("adx", "average directional index"), unit="points", bounds=OSC),
        Output("plus_di", "+DI", ("+ di", "di +", "plus di", "positive directional indicator", "pdi"),
               unit="points", bounds=OSC),
        Output("minus_di", "-DI", ("- di", "di -", "minus di", "negative directional indicator", "mdi"),
               unit="points", bounds=OSC),
    ),
    formula="+DM = up-move if up-move > down-move and > 0 else 0 (-DM likewise with the down-move); "
    "+DI / -DI = 100 * Wilder average(DM, n) / ATR(n); DX = 100 * |+DI - -DI| / (+DI + -DI); "
    "ADX(n) = Wilder average of DX.",
    talib="TA-Lib seeds with sums of the first n values; values converge.",
    lines=_dmi, warmup=lambda i: 2 * i.period + 1 if i.kind == "adx" else i.period + 1,
))  # fmt: skip


def _bb(i: Indicator) -> list[str]:
    suffix = _suffix(i)
    n = i.period
    return [
        f"bb_middle_{suffix} = close.rolling({n}).mean()",
        f"bb_offset_{suffix} = {i.std!r} * close.rolling({n}).std(ddof=0)",
        f"bb_upper_{suffix} = bb_middle_{suffix} + bb_offset_{suffix}",
        f"bb_lower_{suffix} = bb_middle_{suffix} - bb_offset_{suffix}",
        f"bb_pctb_{suffix} = (close - bb_lower_{suffix}) / (bb_upper_{suffix} - bb_lower_{suffix})",
        f"bb_width_{suffix} = (bb_upper_{suffix} - bb_lower_{suffix}) / bb_middle_{suffix}",
    ]


BAND_WORDS = {
    "upper": ("upper", "top"), "middle": ("middle", "mid", "midline", "centre", "center", "basis"),
    "lower": ("lower", "bottom"),
}  # fmt: skip
register(Family(
    key="bb", title="Bollinger bands (%b, bandwidth)", names=("bollinger",), reader="special",
    params=(Param("length", "period", 20), Param("std multiplier", "std", 2.0, whole=False)),
    outputs=(
        Output("bb_upper", "Bollinger upper", BAND_WORDS["upper"]),
        Output("bb_middle", "Bollinger middle", BAND_WORDS["middle"]),
        Output("bb_lower", "Bollinger lower", BAND_WORDS["lower"]),
        Output("bb_pctb", "Bollinger %b", ("%b", "percent b"), unit="fraction"),
        Output("bb_width", "Bollinger bandwidth", ("bandwidth", "band width", "width"), unit="fraction",
               bounds=(0.0, float("inf"))),
    ),
    formula="Bollinger(n, k): middle = SMA(n) of the close; upper/lower = middle +/- k * population standard "
    "deviation (ddof=0) of the last n closes; %b = (close - lower) / (upper - lower); bandwidth = "
    "(upper - lower) / middle (a fraction: 0.05 = 5%).",
    talib="TA-Lib BBANDS also uses the population deviation; %b and bandwidth are not in TA-Lib.",
    lines=_bb, warmup=_n,
))  # fmt: skip


def _kc(i: Indicator) -> list[str]:
    suffix, n = _suffix(i), i.period
    return [
        *true_range_lines(),
        f"kc_middle_{suffix} = close.ewm(span={n}, adjust=False, min_periods={n}).mean()",
        f"kc_offset_{suffix} = {i.mult!r} * {wilder('true_range', n)}",
        f"kc_upper_{suffix} = kc_middle_{suffix} + kc_offset_{suffix}",
        f"kc_lower_{suffix} = kc_middle_{suffix} - kc_offset_{suffix}",
    ]


register(Family(
    key="kc", title="Keltner channel", names=("keltner channel", "keltner"), reader="special",
    params=(Param("length", "period", 20), Param("ATR multiplier", "mult", 2.0, whole=False)),
    outputs=(
        Output("kc_upper", "Keltner upper", BAND_WORDS["upper"]),
        Output("kc_middle", "Keltner middle", BAND_WORDS["middle"]),
        Output("kc_lower", "Keltner lower", BAND_WORDS["lower"]),
    ),
    formula="Keltner(n, m): middle = EMA(n) of the close; upper/lower = middle +/- m * ATR(n) (Wilder).",
    talib="(no TA-Lib function) TradingView's default uses ATR(10) around EMA(20); here the ATR has the "
    "channel's own length.",
    lines=_kc, warmup=_n1,
))  # fmt: skip


# -- volume ----------------------------------------------------------------------------------------------

register(Family(
    key="obv", title="OBV", names=("on balance volume", "obv volume", "obv"), params=(),
    outputs=(Output("obv", "OBV", unit="volume"),),
    formula="OBV = running total of volume, added on an up close, subtracted on a down close (0 on the "
    "first bar); compare it with its own average or past values, its level depends on the start.",
    talib="TA-Lib starts the total at the first bar's volume (a constant offset).",
    lines=lambda i: ["obv = (np.sign(close.diff()).fillna(0) * volume).cumsum()"], warmup=lambda i: 1,
))  # fmt: skip
register(Family(
    key="vwap", title="VWAP", names=("volume weighted average price", "vwap"), params=(_length(20),),
    outputs=(Output("vwap", "VWAP"),), needs_period=True,
    formula="VWAP(n) = sum(TP * volume) / sum(volume) over the last n bars, TP = (high + low + close) / 3: a "
    "rolling VWAP, since daily bars have no intraday session to anchor it.",
    talib="(no TA-Lib function) Intraday platforms anchor VWAP at the session open.",
    lines=lambda i: [
        f"{i.var_name()} = ((high + low + close) / 3 * volume).rolling({i.period}).sum() / "
        f"volume.rolling({i.period}).sum()"
    ],
    warmup=_n,
))  # fmt: skip
