"""Is the best row luck? The Deflated Sharpe Ratio and the Probability of Backtest Overfitting.

Deflated Sharpe Ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection
Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 2014). With the
selected strategy's per-bar Sharpe ratio ``SR``, its ``T`` bar returns, their skewness ``g3`` and (non-excess)
kurtosis ``g4``, and ``N`` trials whose per-bar Sharpe ratios have variance ``V``:

    SR0 = sqrt(V) x ((1 - e) x Z^-1(1 - 1/N) + e x Z^-1(1 - 1/(N x exp(1))))      e = 0.5772... (Euler)
    DSR = Z((SR - SR0) x sqrt(T - 1) / sqrt(1 - g3 x SR + (g4 - 1) / 4 x SR^2))

``SR0`` is the Sharpe ratio the best of ``N`` skill-less trials would show; DSR is the probability that the
true Sharpe ratio exceeds it (0.95 and above: unlikely to be luck alone). ``N`` here is the number of
combinations evaluated; they are correlated, so this is conservative (the paper's effective number of
trials would be smaller), while ``V`` measured on the same correlated trials is small, which works the
other way.

Probability of Backtest Overfitting by combinatorially symmetric cross-validation (Bailey, Borwein, López
de Prado and Zhu, "The Probability of Backtest Overfitting", Journal of Computational Finance 20(4),
2017; working paper 2015). The bars are cut into ``S`` = 16 equal partitions; for each of the C(16, 8) =
12,870 ways to call half of them in-sample, the strategy with the best in-sample Sharpe ratio is found and
the relative rank ``w`` of its out-of-sample Sharpe ratio among all strategies is taken (average rank over
``N + 1``); its logit ``log(w / (1 - w))`` is negative when the in-sample winner lands in the worse half
out-of-sample. PBO is the share of splits with a logit <= 0: about 0.5 for strategies that are pure noise,
near 0 when one strategy has a real edge. Sharpe ratios here are per bar, of excess returns.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
from numba import njit

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """``SR0``: the expected best per-bar Sharpe ratio of ``n_trials`` skill-less trials."""
    if n_trials < 2 or sharpe_variance <= 0:
        return 0.0
    a = _NORMAL.inv_cdf(1 - 1 / n_trials)
    b = _NORMAL.inv_cdf(1 - 1 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * a + EULER_GAMMA * b)


def probabilistic_sharpe(
    sharpe: float, benchmark: float, bars: int, skew: float, kurtosis: float
) -> float | None:
    """P(true per-bar Sharpe > ``benchmark``) given the observed one (Bailey and López de Prado, 2012)."""
    spread = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if bars < 2 or spread <= 0 or not math.isfinite(spread):
        return None
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(bars - 1) / math.sqrt(spread))


def moments(returns: np.ndarray) -> tuple[float, float]:
    """(skewness, non-excess kurtosis) with population moments, as the paper uses them."""
    x = returns - returns.mean()
    m2 = float(np.mean(x**2))
    if m2 <= 0:
        return 0.0, 3.0
    return float(np.mean(x**3)) / m2**1.5, float(np.mean(x**4)) / m2**2


def deflated_sharpe(
    returns: np.ndarray, rf_per_bar: float, trial_sharpes: np.ndarray, periods: float
) -> dict[str, float | int | None]:
    """The DSR of the selected strategy's bar ``returns`` among trials with per-bar Sharpe ratios
    ``trial_sharpes`` (NaN ones, trials without a Sharpe ratio, still count as trials)."""
    excess = returns - rf_per_bar
    bars = len(excess)
    std = float(np.std(excess, ddof=1)) if bars > 1 else 0.0
    sharpe = float(np.mean(excess)) / std if std > 0 else 0.0
    skew, kurt = moments(excess)
    finite = trial_sharpes[np.isfinite(trial_sharpes)]
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    n_trials = len(trial_sharpes)
    sr0 = expected_max_sharpe(n_trials, variance)
    root = math.sqrt(periods)
    return {
        "deflated_sharpe_ratio": probabilistic_sharpe(sharpe, sr0, bars, skew, kurt),
        "probabilistic_sharpe_ratio": probabilistic_sharpe(sharpe, 0.0, bars, skew, kurt),
        "sharpe_ratio": sharpe * root,
        "expected_max_sharpe": sr0 * root,
        "trials": n_trials,
        "bars": bars,
        "skewness": skew,
        "kurtosis": kurt,
        "sharpe_std_across_trials": math.sqrt(variance) * root,
    }


def cscv_splits(partitions: int) -> np.ndarray:
    """Every choice of ``partitions // 2`` in-sample partitions, as a boolean matrix (splits x partitions)."""
    combos = list(itertools.combinations(range(partitions), partitions // 2))
    out = np.zeros((len(combos), partitions), dtype=np.bool_)
    for i, chosen in enumerate(combos):
        out[i, list(chosen)] = True
    return out


@njit(cache=True, nogil=True)
def _sharpe(s: float, ss: float, n: float) -> float:
    mean = s / n
    var = (ss - n * mean * mean) / (n - 1)
    return mean / math.sqrt(var) if var > 0 else 0.0


@njit(cache=True, nogil=True)
def cscv_logits(
    sums: np.ndarray, counts: np.ndarray, splits: np.ndarray, logits: np.ndarray, oos_sharpe: np.ndarray
) -> None:
    """Per split: the logit of the in-sample winner's out-of-sample rank, and its out-of-sample Sharpe.
    ``sums[j, p] = (sum, sum of squares)`` of strategy ``j``'s excess returns on partition ``p``."""
    n_strats, n_parts = sums.shape[0], sums.shape[1]
    is_sr = np.empty(n_strats)
    oos_sr = np.empty(n_strats)
    for c in range(splits.shape[0]):
        n_is = 0.0
        n_oos = 0.0
        for p in range(n_parts):
            if splits[c, p]:
                n_is += counts[p]
            else:
                n_oos += counts[p]
        for j in range(n_strats):
            s_is = ss_is = s_oos = ss_oos = 0.0
            for p in range(n_parts):
                if splits[c, p]:
                    s_is += sums[j, p, 0]
                    ss_is += sums[j, p, 1]
                else:
                    s_oos += sums[j, p, 0]
                    ss_oos += sums[j, p, 1]
            is_sr[j] = _sharpe(s_is, ss_is, n_is)
            oos_sr[j] = _sharpe(s_oos, ss_oos, n_oos)
        best = 0
        for j in range(1, n_strats):
            if is_sr[j] > is_sr[best]:
                best = j
        below = 0.0
        ties = 0.0
        for j in range(n_strats):
            if oos_sr[j] < oos_sr[best]:
                below += 1
            elif oos_sr[j] == oos_sr[best]:
                ties += 1
        rank = below + (ties + 1) / 2  # average rank, 1 = worst
        w = rank / (n_strats + 1)
        logits[c] = math.log(w / (1 - w))
        oos_sharpe[c] = oos_sr[best]


def probability_of_overfitting(sums: np.ndarray, counts: np.ndarray) -> dict[str, float | int | None]:
    """PBO and its companions from per-partition sums of ``N`` strategies (``sums``: N x S x 2)."""
    n_strats, n_parts = sums.shape[0], sums.shape[1]
    if n_strats < 2 or n_parts < 2 or counts.min() < 2:
        return {"pbo": None, "strategies": n_strats, "partitions": n_parts, "splits": 0}
    splits = cscv_splits(n_parts)
    logits = np.empty(len(splits))
    oos = np.empty(len(splits))
    cscv_logits(sums, counts.astype(np.float64), splits, logits, oos)
    return {
        "pbo": float(np.mean(logits <= 0)),
        "strategies": n_strats,
        "partitions": n_parts,
        "splits": len(splits),
        "logit_median": float(np.median(logits)),
        "oos_loss_probability": float(np.mean(oos < 0)),
    }
