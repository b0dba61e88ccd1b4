"""Source lines computing each indicator with plain pandas, and the formulas they implement.

All series are DataFrames with one column per symbol; warm-up bars are NaN, and a comparison with
NaN is False, so no signal fires before an indicator exists. Every formula uses bars up to t only.

- SMA(n)   = mean of the last n values.
- EMA(n)   = recursive average, alpha = 2 / (n + 1), seeded with the first value
             (pandas ``ewm(span=n, adjust=False)``), NaN for the first n - 1 bars.
- WMA(n)   = sum(w_i * x_i) / sum(w_i) over the last n values, weights 1..n (newest weighs n).
- RSI(n)   = 100 - 100 / (1 + avg_gain / avg_loss); gains/losses are close-to-close changes, averaged
             with Wilder smoothing (alpha = 1/n, seeded with the first change), NaN for the first n bars.
- MACD(f,s,g): line = EMA(f) - EMA(s) (EMAs as above without the NaN warm-up); signal = EMA(g) of the
             line; histogram = line - signal; NaN until bar s + g - 2.
- Bollinger(n,k): middle = SMA(n); upper/lower = middle +/- k * population std (ddof=0) of n closes.
- ATR(n)   = Wilder average (alpha = 1/n, seeded with the first true range) of the true range
             max(high - low, |high - previous close|, |low - previous close|).
- Stochastic(k,d): %K = 100 * (close - lowest low of k) / (highest high of k - lowest low of k);
             %D = SMA(d) of %K.
- ADX(n)   : +DM = up-move if up-move > down-move and > 0 else 0 (down-move likewise for -DM), both 0 on
             the first bar; +DI/-DI = 100 * Wilder average(DM) / ATR(n); DX = 100 * |+DI - -DI| / (+DI + -DI);
             ADX = Wilder average of DX, NaN until n values of DX exist.
- CCI(n)   = (TP - SMA(TP, n)) / (0.015 * mean absolute deviation of TP over n),
             TP = (high + low + close) / 3.
- ROC(n)   = 100 * (close / close n bars ago - 1).
- Highest high(n) / Lowest low(n) = max high / min low of the PREVIOUS n bars (excludes bar t, so
             "close above the 20-day high" is a breakout, not a tautology).
- Volume SMA(n) = mean volume of the last n bars.
"""

from __future__ import annotations

from app.services.language.indicators import Indicator

_SOURCE_VAR = {"open": "open_price", "high": "high", "low": "low", "close": "close", "volume": "volume"}


def source_var(field: str) -> str:
    return _SOURCE_VAR[field]


def wilder(expr: str, n: int) -> str:
    return f"({expr}).ewm(alpha=1 / {n}, adjust=False, min_periods={n}).mean()"


def indicator_lines(ind: Indicator) -> list[str]:
    """Lines that define ``ind.var_name()`` (and, for families, its sibling outputs)."""
    n, name, src = ind.period, ind.var_name(), source_var(ind.source)
    kind = ind.kind
    if kind in ("sma", "volume_sma"):
        return [f"{name} = {src}.rolling({n}).mean()"]
    if kind == "ema":
        return [f"{name} = {src}.ewm(span={n}, adjust=False, min_periods={n}).mean()"]
    if kind == "wma":
        return [
            f"{name}_weights = np.arange(1, {n + 1})",
            f"{name} = {src}.rolling({n}).apply(lambda window: np.dot(window, {name}_weights) / "
            f"{name}_weights.sum(), raw=True)",
        ]
    if kind == "rsi":
        return [
            f"{name}_change = close.diff()",
            f"{name}_gain = {wilder(f'{name}_change.clip(lower=0)', n)}",
            f"{name}_loss = {wilder(f'-{name}_change.clip(upper=0)', n)}",
            f"{name} = 100 - 100 / (1 + {name}_gain / {name}_loss)",
        ]
    if ind.family == "macd":
        suffix = f"{ind.period}_{ind.slow}_{ind.signal}"
        warm = (ind.slow or 0) + (ind.signal or 0) - 2
        return [
            f"macd_{suffix} = close.ewm(span={ind.period}, adjust=False).mean() - "
            f"close.ewm(span={ind.slow}, adjust=False).mean()",
            f"macd_signal_{suffix} = macd_{suffix}.ewm(span={ind.signal}, adjust=False).mean()",
            f"macd_hist_{suffix} = macd_{suffix} - macd_signal_{suffix}",
            f"# no MACD value until the slow EMA ({ind.slow}) and the signal ({ind.signal}) have their bars",
            f"macd_{suffix}.iloc[:{warm}] = np.nan",
            f"macd_signal_{suffix}.iloc[:{warm}] = np.nan",
            f"macd_hist_{suffix}.iloc[:{warm}] = np.nan",
        ]
    if ind.family == "bb":
        suffix = ind.var_name().split("_", 2)[2]
        return [
            f"bb_middle_{suffix} = close.rolling({n}).mean()",
            f"bb_width_{suffix} = {ind.std!r} * close.rolling({n}).std(ddof=0)",
            f"bb_upper_{suffix} = bb_middle_{suffix} + bb_width_{suffix}",
            f"bb_lower_{suffix} = bb_middle_{suffix} - bb_width_{suffix}",
        ]
    if kind == "atr":
        return [*true_range_lines(), f"{name} = {wilder('true_range', n)}"]
    if ind.family == "stoch":
        suffix = f"{n}_{ind.signal}"
        return [
            f"stoch_low_{suffix} = low.rolling({n}).min()",
            f"stoch_high_{suffix} = high.rolling({n}).max()",
            f"stoch_k_{suffix} = 100 * (close - stoch_low_{suffix}) / "
            f"(stoch_high_{suffix} - stoch_low_{suffix})",
            f"stoch_d_{suffix} = stoch_k_{suffix}.rolling({ind.signal}).mean()",
        ]
    if kind == "adx":
        return [
            *true_range_lines(),
            f"{name}_up = high.diff()",
            f"{name}_down = -low.diff()",
            f"{name}_plus_dm = {name}_up.where(({name}_up > {name}_down) & ({name}_up > 0), 0.0)",
            f"{name}_minus_dm = {name}_down.where(({name}_down > {name}_up) & ({name}_down > 0), 0.0)",
            f"{name}_atr = {wilder('true_range', n)}",
            f"{name}_plus_di = 100 * {wilder(f'{name}_plus_dm', n)} / {name}_atr",
            f"{name}_minus_di = 100 * {wilder(f'{name}_minus_dm', n)} / {name}_atr",
            f"{name}_dx = 100 * ({name}_plus_di - {name}_minus_di).abs() / "
            f"({name}_plus_di + {name}_minus_di)",
            f"{name} = {wilder(f'{name}_dx', n)}",
        ]
    if kind == "cci":
        return [
            f"{name}_tp = (high + low + close) / 3",
            f"{name}_mad = {name}_tp.rolling({n}).apply("
            "lambda window: np.abs(window - window.mean()).mean(), raw=True)",
            f"{name} = ({name}_tp - {name}_tp.rolling({n}).mean()) / (0.015 * {name}_mad)",
        ]
    if kind == "roc":
        return [f"{name} = 100 * ({src} / {src}.shift({n}) - 1)"]
    if kind == "highest":
        return [f"{name} = high.rolling({n}).max().shift(1)"]
    if kind == "lowest":
        return [f"{name} = low.rolling({n}).min().shift(1)"]
    raise ValueError(f"no code for indicator {kind}")  # pragma: no cover - IndicatorKind is closed


def true_range_lines() -> list[str]:
    return [
        "previous_close = close.shift(1)",
        "true_range = np.maximum(high - low, np.maximum((high - previous_close).abs(), "
        "(low - previous_close).abs()))",
    ]


COMMENTS: dict[str, str] = {
    "sma": "simple moving average of the last {n} bars",
    "volume_sma": "average volume of the last {n} bars",
    "ema": "exponential moving average, alpha = 2 / ({n} + 1)",
    "wma": "linearly weighted moving average of the last {n} bars (newest weighs most)",
    "rsi": "Wilder RSI over {n} bars",
    "macd": "MACD line, signal and histogram",
    "bb": "Bollinger bands: {n}-bar SMA +/- k population standard deviations",
    "atr": "Wilder average true range over {n} bars",
    "stoch": "fast stochastic %K over {n} bars and its %D moving average",
    "adx": "Wilder ADX over {n} bars",
    "cci": "commodity channel index over {n} bars",
    "roc": "rate of change in percent over {n} bars",
    "highest": "highest high of the PREVIOUS {n} bars (excludes the current bar: no look-ahead)",
    "lowest": "lowest low of the PREVIOUS {n} bars (excludes the current bar: no look-ahead)",
}


def indicator_comment(ind: Indicator) -> str:
    key = ind.family if ind.family in COMMENTS else ind.kind
    return f"# {ind.label()}: {COMMENTS[key].format(n=ind.period)}"
