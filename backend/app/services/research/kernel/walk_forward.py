"""Walk-forward validation: choose in-sample, judge out-of-sample, fold after fold.

Geometry (rolling windows, out-of-sample stretches back to back up to the last bar): with ``n`` bars, ``F``
folds and in-sample fraction ``f``, each out-of-sample stretch has ``L_o = floor(n / (F + f / (1 - f)))``
bars and each in-sample window the ``L_i = floor(L_o x f / (1 - f))`` bars right before it, so every fold
is ``f`` in-sample and the stitched out-of-sample curve covers the last ``F x L_o`` bars without a gap. The
few bars left over are at the start (they only ever serve as history).

>>> fold_windows(1000, folds=5, in_sample=0.7).tolist()[0]
[[3, 320], [320, 456]]

Each window is a stretch of the one continuous backtest (positions carry across its edges, indicators
are warm), scored with the sweep's objective on that stretch alone. Fold ``k`` picks the combination with
the best in-sample objective; its out-of-sample objective is what the choice earned. The walk-forward
efficiency is ``mean(out-of-sample objective) / mean(in-sample objective)`` over the folds (Pardo's WFE
with the objective in place of the annualised return): near 1, the in-sample edge carried over; near or
below 0, it did not. A fold whose choice never traded out of sample has no Sharpe ratio there; it is left
out of the ratio and the number of folds used is reported.
"""

from __future__ import annotations

import math

import numpy as np


def fold_windows(n_bars: int, folds: int, in_sample: float) -> np.ndarray:
    """``(folds, 2, 2)``: per fold ``[[is_start, is_end), [oos_start, oos_end)]`` bar offsets."""
    if folds < 1:
        raise ValueError("walk-forward needs at least 1 fold")
    if not 0 < in_sample < 1:
        raise ValueError("the in-sample fraction must be between 0 and 1 (e.g. 0.7)")
    ratio = in_sample / (1 - in_sample)
    oos = int(n_bars // (folds + ratio))
    ins = int(oos * ratio)
    if oos < 2 or ins < 2:
        raise ValueError(
            f"{n_bars} bars are too few for {folds} walk-forward folds with {in_sample:g} in-sample "
            "(each window needs at least 2 bars)"
        )
    offset = n_bars - ins - folds * oos
    out = np.empty((folds, 2, 2), dtype=np.int64)
    for k in range(folds):
        start = offset + k * oos
        out[k] = [[start, start + ins], [start + ins, start + ins + oos]]
    return out


def stitch(equity_by_fold: list[np.ndarray], windows: np.ndarray, capital: float) -> np.ndarray:
    """The out-of-sample stretches of each fold's chosen curve, chained from ``capital``: one value per bar
    of ``[windows[0, 1, 0], windows[-1, 1, 1])``."""
    pieces = []
    level = capital
    for equity, fold in zip(equity_by_fold, windows, strict=True):
        a, b = int(fold[1, 0]), int(fold[1, 1])
        base = equity[a - 1] if a > 0 else capital
        piece = level * equity[a:b] / base if base > 0 else np.full(b - a, level)
        pieces.append(piece)
        level = float(piece[-1])
    return np.concatenate(pieces)


def efficiency(in_sample: list[float], out_of_sample: list[float]) -> tuple[float | None, int]:
    """(mean(OOS) / mean(IS) over the folds where both are defined, how many folds that is). A fold whose
    choice never moved out of sample has no Sharpe ratio there and is left out; None when no fold is left
    or the in-sample mean is 0."""
    pairs = [
        (i, o) for i, o in zip(in_sample, out_of_sample, strict=True) if math.isfinite(i) and math.isfinite(o)
    ]
    if not pairs:
        return None, 0
    mean_is = sum(i for i, _ in pairs) / len(pairs)
    if mean_is == 0:
        return None, len(pairs)
    return (sum(o for _, o in pairs) / len(pairs)) / mean_is, len(pairs)
