"""Independent numpy references for the indicator families added by issue 14 (plain loops, textbook
definitions; nothing here imports the project). Conventions are stated where platforms differ.
"""

from __future__ import annotations

import numpy as np

from tests.services.language import lang_reference as ref

NAN = np.nan


def highest(x: np.ndarray, n: int) -> np.ndarray:
    """Max of the last n values INCLUDING the current one (NaN until n values exist)."""
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        window = x[i - n + 1 : i + 1]
        if not np.isnan(window).any():
            out[i] = window.max()
    return out


def lowest(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        window = x[i - n + 1 : i + 1]
        if not np.isnan(window).any():
            out[i] = window.min()
    return out


def dmi(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wilder +DI, -DI and ADX (the same smoothing as lang_reference.adx, with the DIs exposed)."""
    size = len(c)
    plus_dm, minus_dm = np.zeros(size), np.zeros(size)
    for i in range(1, size):
        up, down = h[i] - h[i - 1], lo[i - 1] - lo[i]
        plus_dm[i] = up if up > down and up > 0 else 0.0
        minus_dm[i] = down if down > up and down > 0 else 0.0
    tr_avg = ref.atr(h, lo, c, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        plus_di = 100 * ref.wilder(plus_dm, n) / tr_avg
        minus_di = 100 * ref.wilder(minus_dm, n) / tr_avg
        dx = 100 * np.abs(plus_di - minus_di) / (plus_di + minus_di)
    return plus_di, minus_di, ref.wilder(dx, n)


def willr(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Williams %R = -100 * (highest high - close) / (highest high - lowest low), last n bars."""
    out = np.full(len(c), NAN)
    for i in range(n - 1, len(c)):
        hh, ll = h[i - n + 1 : i + 1].max(), lo[i - n + 1 : i + 1].min()
        out[i] = -100 * (hh - c[i]) / (hh - ll) if hh > ll else NAN
    return out


def mfi(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Money Flow Index: 100 - 100 / (1 + positive flow / negative flow) over the last n bars, where a
    bar's flow (typical price x volume) is positive when its typical price rose from the bar before."""
    tp = (h + lo + c) / 3
    out = np.full(len(c), NAN)
    for i in range(n, len(c)):
        pos = neg = 0.0
        for j in range(i - n + 1, i + 1):
            if tp[j] > tp[j - 1]:
                pos += tp[j] * v[j]
            elif tp[j] < tp[j - 1]:
                neg += tp[j] * v[j]
        out[i] = 100.0 if neg == 0 else 100 - 100 / (1 + pos / neg)
    return out


def obv(c: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.zeros(len(c))
    for i in range(1, len(c)):
        step = v[i] if c[i] > c[i - 1] else -v[i] if c[i] < c[i - 1] else 0.0
        out[i] = out[i - 1] + step
    return out


def vwap(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Rolling n-bar VWAP of the typical price (high + low + close) / 3."""
    tp = (h + lo + c) / 3
    out = np.full(len(c), NAN)
    for i in range(n - 1, len(c)):
        sl = slice(i - n + 1, i + 1)
        out[i] = (tp[sl] * v[sl]).sum() / v[sl].sum()
    return out


def stoch(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, k_smooth: int, d_smooth: int):  # type: ignore[no-untyped-def]
    """%K = SMA(k_smooth) of the raw stochastic over n bars; %D = SMA(d_smooth) of %K."""
    raw = np.full(len(c), NAN)
    for i in range(n - 1, len(c)):
        ll, hh = lo[i - n + 1 : i + 1].min(), h[i - n + 1 : i + 1].max()
        raw[i] = 100 * (c[i] - ll) / (hh - ll) if hh > ll else NAN
    k = ref.sma_nan(raw, k_smooth)
    return k, ref.sma_nan(k, d_smooth)


def keltner(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, k: float) -> tuple[np.ndarray, ...]:
    """EMA(n) of the close +/- k x Wilder ATR(n)."""
    mid = ref.ema(c, n)
    width = k * ref.atr(h, lo, c, n)
    return mid + width, mid, mid - width


def pct_change(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    out[n:] = 100 * (x[n:] / x[:-n] - 1)
    return out


def tema(x: np.ndarray, n: int) -> np.ndarray:
    e1 = ref.ema(x, n)
    e2 = ref.ema(e1, n)
    e3 = ref.ema(e2, n)
    return 3 * e1 - 3 * e2 + e3


# -- candle patterns (formulas as documented in docs/language.md) --------------------------------------


def _prev(x: np.ndarray) -> np.ndarray:
    return ref.lag(x, 1)


def bull_engulf(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    o1, c1 = _prev(o), _prev(c)
    with np.errstate(invalid="ignore"):
        return (c1 < o1) & (c > o) & (o <= c1) & (c >= o1) & ((o < c1) | (c > o1))


def bear_engulf(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    o1, c1 = _prev(o), _prev(c)
    with np.errstate(invalid="ignore"):
        return (c1 > o1) & (c < o) & (o >= c1) & (c <= o1) & ((o > c1) | (c < o1))


def inside_bar(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (h < _prev(h)) & (lo > _prev(lo))


def outside_bar(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (h > _prev(h)) & (lo < _prev(lo))


def nr7(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The bar's range is narrower than each of the 6 bars before it."""
    rng = h - lo
    out = np.zeros(len(c), dtype=bool)
    for i in range(6, len(c)):
        out[i] = rng[i] < rng[i - 6 : i].min()
    return out


def hammer(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Lower shadow at least twice the body, upper shadow at most 10% of the range."""
    rng = h - lo
    body = np.abs(c - o)
    lower = np.minimum(o, c) - lo
    upper = h - np.maximum(o, c)
    return (rng > 0) & (lower >= 2 * body) & (upper <= 0.1 * rng)


def doji(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Body at most 10% of the bar's own range."""
    rng = h - lo
    return (rng > 0) & (np.abs(c - o) <= 0.1 * rng)
