"""The Deflated Sharpe Ratio and the PBO, each against an implementation written here from the papers, on
synthetic strategies whose answer is known: pure noise is luck, a planted edge is not."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from app.services.research.kernel.overfitting import (
    deflated_sharpe,
    expected_max_sharpe,
    probability_of_overfitting,
)

GAMMA = 0.5772156649015329


def reference_dsr(returns: np.ndarray, trial_sharpes: np.ndarray) -> float:
    """Bailey and López de Prado (2014), eq. for SR0 and the PSR, with scipy's normal distribution."""
    sr = returns.mean() / returns.std(ddof=1)
    n = len(trial_sharpes)
    v = np.var(trial_sharpes, ddof=1)
    sr0 = math.sqrt(v) * (
        (1 - GAMMA) * stats.norm.ppf(1 - 1 / n) + GAMMA * stats.norm.ppf(1 - 1 / (n * math.e))
    )
    skew = stats.skew(returns)  # population moments (bias=True), as in the paper
    kurt = stats.kurtosis(returns, fisher=False)
    z = (sr - sr0) * math.sqrt(len(returns) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return float(stats.norm.cdf(z))


def reference_pbo(returns: np.ndarray, partitions: int = 16) -> float:
    """Bailey, Borwein, López de Prado and Zhu: CSCV over the T x N matrix of strategy returns."""
    blocks = np.array_split(np.arange(returns.shape[0]), partitions)
    logits = []
    for chosen in itertools.combinations(range(partitions), partitions // 2):
        is_rows = np.concatenate([blocks[p] for p in chosen])
        oos_rows = np.concatenate([blocks[p] for p in range(partitions) if p not in chosen])
        is_sr = returns[is_rows].mean(0) / returns[is_rows].std(0, ddof=1)
        oos_sr = returns[oos_rows].mean(0) / returns[oos_rows].std(0, ddof=1)
        best = int(np.argmax(is_sr))
        w = stats.rankdata(oos_sr)[best] / (returns.shape[1] + 1)
        logits.append(math.log(w / (1 - w)))
    return float(np.mean(np.array(logits) <= 0))


def partition_sums(returns: np.ndarray, partitions: int = 16) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.linspace(0, returns.shape[0], partitions + 1).round().astype(int)
    sums = np.zeros((returns.shape[1], partitions, 2))
    for p in range(partitions):
        block = returns[bounds[p] : bounds[p + 1]]
        sums[:, p, 0] = block.sum(0)
        sums[:, p, 1] = (block**2).sum(0)
    return sums, np.diff(bounds)


def test_expected_max_sharpe_matches_a_monte_carlo_of_skill_less_trials() -> None:
    """SR0 approximates E[max] of N independent Sharpe estimates around zero."""
    rng = np.random.default_rng(3)
    n, sd = 200, 0.05
    draws = rng.normal(0, sd, size=(4000, n)).max(axis=1)
    assert expected_max_sharpe(n, sd**2) == pytest.approx(draws.mean(), rel=0.03)


def test_deflated_sharpe_equals_the_reference_and_flags_noise() -> None:
    rng = np.random.default_rng(11)
    trials = rng.standard_t(df=5, size=(1500, 300)) * 0.01  # fat-tailed noise, 300 trials
    sharpes = trials.mean(0) / trials.std(0, ddof=1)
    best = trials[:, int(np.argmax(sharpes))]
    ours = deflated_sharpe(best, 0.0, sharpes, periods=252)
    assert ours["deflated_sharpe_ratio"] == pytest.approx(reference_dsr(best, sharpes), abs=1e-9)
    assert ours["trials"] == 300
    assert ours["deflated_sharpe_ratio"] < 0.5  # the best of 300 noise strategies is not significant
    assert (
        ours["probabilistic_sharpe_ratio"] > ours["deflated_sharpe_ratio"]
    )  # the trials are what deflates it


def test_deflated_sharpe_of_a_planted_edge_is_high() -> None:
    rng = np.random.default_rng(12)
    trials = rng.normal(0, 0.01, size=(2000, 100))
    trials[:, 17] += 0.002  # a true per-bar Sharpe of 0.2 (about 3.2 a year)
    sharpes = trials.mean(0) / trials.std(0, ddof=1)
    assert int(np.argmax(sharpes)) == 17
    ours = deflated_sharpe(trials[:, 17], 0.0, sharpes, periods=252)
    assert ours["deflated_sharpe_ratio"] == pytest.approx(reference_dsr(trials[:, 17], sharpes), abs=1e-9)
    assert ours["deflated_sharpe_ratio"] > 0.95


def test_pbo_of_pure_noise_is_high_and_equals_the_reference() -> None:
    rng = np.random.default_rng(21)
    returns = rng.normal(0, 0.01, size=(1600, 40))
    sums, counts = partition_sums(returns)
    ours = probability_of_overfitting(sums, counts)
    assert ours["pbo"] == pytest.approx(reference_pbo(returns), abs=1e-12)
    assert ours["splits"] == 12870 and ours["partitions"] == 16
    # One realisation's PBO is noisy (the splits overlap); over many, the in-sample winner of pure noise is a
    # coin toss out of sample: PBO about 0.5.
    pbos = []
    for seed in range(30, 42):
        noise = np.random.default_rng(seed).normal(0, 0.01, size=(800, 40))
        pbos.append(probability_of_overfitting(*partition_sums(noise))["pbo"])
    assert 0.38 < float(np.mean(pbos)) < 0.62


def test_pbo_of_a_planted_edge_is_low_and_equals_the_reference() -> None:
    rng = np.random.default_rng(22)
    returns = rng.normal(0, 0.01, size=(1600, 40))
    returns[:, 5] += 0.003
    sums, counts = partition_sums(returns)
    ours = probability_of_overfitting(sums, counts)
    assert ours["pbo"] == pytest.approx(reference_pbo(returns), abs=1e-12)
    assert ours["pbo"] < 0.05


def test_pbo_is_undefined_for_one_strategy() -> None:
    sums, counts = partition_sums(np.random.default_rng(1).normal(size=(100, 1)))
    assert probability_of_overfitting(sums, counts)["pbo"] is None
