"""Scalar statistics against numpy and scipy on seeded samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.optimize import brentq

from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import SERVED_PERCENTILES, ScalarSample, statistic

ANALYTIC = IntervalSettings(method="analytic")
BOOTSTRAP = IntervalSettings(method="bootstrap", samples=2000, seed=3)


def hall_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Hall's (1992) skewness-corrected interval of the mean of ``values``, solved numerically
    on his transformation ``h(T) = T + gT²/(3√n) + g²T³/(27n) + g/(6√n)`` (monotone) rather
    than through the closed-form inverse opwatch uses."""
    n, mean = values.size, values.mean()
    se = values.std(ddof=1) / np.sqrt(n)
    g = scipy_stats.skew(values)  # moments about the mean, divided by n
    root = np.sqrt(n)

    def h(t: float) -> float:
        return t + g * t * t / (3 * root) + g * g * t**3 / (27 * n) + g / (6 * root)

    q = scipy_stats.t.ppf(0.5 + level / 2, n - 1)
    ends = [brentq(lambda t, u=u: h(t) - u, -1e6, 1e6, xtol=1e-14) for u in (q, -q)]
    return mean - se * ends[0], mean - se * ends[1]


def values_with_nulls(n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 10.0, size=n)
    values[rng.random(n) < 0.1] = np.nan
    return values


def estimate(name: str, sample: ScalarSample, settings: IntervalSettings, **parameters: object):
    found = statistic(name, "scalar")
    return found.estimate(sample, parameters, settings, settings.rng(name))


def test_count_sum_mean_ignore_nulls() -> None:
    x = values_with_nulls()
    sample = ScalarSample(x)
    assert estimate("count", sample, ANALYTIC)[0].point == np.count_nonzero(~np.isnan(x))
    assert estimate("sum", sample, ANALYTIC)[0].point == pytest.approx(np.nansum(x))
    mean = estimate("mean", sample, ANALYTIC)[0]
    assert mean.point == pytest.approx(np.nanmean(x))
    present = x[~np.isnan(x)]
    assert (mean.lower, mean.upper) == pytest.approx(hall_interval(present), rel=1e-9)
    total = estimate("sum", sample, ANALYTIC)[0]
    zeros = np.nan_to_num(x)  # a sum's interval counts clients without a value as 0
    low, high = hall_interval(zeros)
    assert (total.lower, total.upper) == pytest.approx((low * x.size, high * x.size), rel=1e-9)


def test_the_interval_of_a_skewed_mean_reaches_further_on_the_long_side() -> None:
    """Right-skewed values: the interval's upper half is longer than its lower half, and
    without skewness it is the symmetric t interval."""
    rng = np.random.default_rng(8)
    skewed = estimate("mean", ScalarSample(rng.lognormal(0, 1, 60)), ANALYTIC)[0]
    assert skewed.upper - skewed.point > 1.2 * (skewed.point - skewed.lower)
    symmetric = np.concatenate([[-2.0, -1.0, 0.0, 1.0, 2.0]] * 8)
    found = estimate("mean", ScalarSample(symmetric), ANALYTIC)[0]
    low, high = scipy_stats.t.interval(0.95, 39, 0.0, scipy_stats.sem(symmetric))
    assert (found.lower, found.upper) == pytest.approx((low, high), rel=1e-12)


def test_bootstrap_agrees_with_the_analytic_interval_for_a_mean() -> None:
    sample = ScalarSample(values_with_nulls(2000))
    analytic = estimate("mean", sample, ANALYTIC)[0]
    bootstrap = estimate("mean", sample, BOOTSTRAP)[0]
    assert bootstrap.point == analytic.point
    assert bootstrap.lower == pytest.approx(analytic.lower, rel=0.01)
    assert bootstrap.upper == pytest.approx(analytic.upper, rel=0.01)


def test_bootstrap_is_reproducible_and_depends_on_the_seed() -> None:
    sample = ScalarSample(values_with_nulls())
    first = estimate("percentile", sample, BOOTSTRAP, percentiles=[50])
    second = estimate("percentile", sample, BOOTSTRAP, percentiles=[50])
    other = IntervalSettings(method="bootstrap", samples=2000, seed=4)
    third = estimate("percentile", sample, other, percentiles=[50])
    assert [(e.lower, e.upper) for e in first] == [(e.lower, e.upper) for e in second]
    assert [(e.lower, e.upper) for e in first] != [(e.lower, e.upper) for e in third]


def test_percentiles_count_nulls_as_zero_unless_removed() -> None:
    x = values_with_nulls()
    with_zeros = {e.parameter: e.point for e in estimate("percentile", ScalarSample(x), ANALYTIC)}
    removed = estimate("percentile", ScalarSample(x), ANALYTIC, remove_nulls=True)
    assert with_zeros["5"] == pytest.approx(np.percentile(np.nan_to_num(x), 5))
    assert {e.parameter: e.point for e in removed}["5"] == pytest.approx(np.nanpercentile(x, 5))
    # configured percentiles come on top of every integer one
    served = estimate("percentile", ScalarSample(x), ANALYTIC, percentiles=[99.9])
    assert [e.parameter for e in served] == [*map(str, SERVED_PERCENTILES), "99.9"]


def test_quantile_is_the_median() -> None:
    x = values_with_nulls()
    (median,) = estimate("quantile", ScalarSample(x), ANALYTIC)
    assert median.parameter == "50"
    assert median.point == pytest.approx(np.median(np.nan_to_num(x)))


def test_total_ratio_resamples_clients_as_pairs() -> None:
    rng = np.random.default_rng(8)
    visits = rng.poisson(20, size=3000).astype(float)
    crashes = rng.binomial(visits.astype(int), 0.05).astype(float)
    sample = ScalarSample(crashes, {"visits": visits})
    analytic = estimate("total_ratio", sample, ANALYTIC, denominator_metric="visits")[0]
    bootstrap = estimate("total_ratio", sample, BOOTSTRAP, denominator_metric="visits")[0]
    assert analytic.parameter == "visits"
    assert analytic.point == pytest.approx(crashes.sum() / visits.sum())
    assert bootstrap.lower == pytest.approx(analytic.lower, rel=0.02)
    assert bootstrap.upper == pytest.approx(analytic.upper, rel=0.02)


def test_empty_and_single_client_groups() -> None:
    nothing = ScalarSample(np.array([np.nan, np.nan]))
    assert len(estimate("mean", nothing, ANALYTIC)) == 0
    assert len(estimate("percentile", nothing, ANALYTIC)) == 0
    (alone,) = estimate("mean", ScalarSample(np.array([3.0])), BOOTSTRAP)
    assert (alone.point, alone.lower, alone.upper) == (3.0, None, None)


def test_statistics_of_a_group_share_its_resamples() -> None:
    """One set of client weights per group: with no NULLs, the bootstrapped sum is exactly n
    times the bootstrapped mean, replicate by replicate."""
    from opwatch.stats.registry import BootstrapTotals

    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 5.0, size=500)
    columns = {"x": values}
    shared = BootstrapTotals(columns, np.arange(500), BOOTSTRAP)
    sample = ScalarSample(values, columns, shared)
    mean = statistic("mean", "scalar").estimate(sample, {}, BOOTSTRAP, BOOTSTRAP.rng("m"))
    total = statistic("sum", "scalar").estimate(sample, {}, BOOTSTRAP, BOOTSTRAP.rng("s"))
    assert total[0].lower == pytest.approx(500 * mean[0].lower)
    assert total[0].upper == pytest.approx(500 * mean[0].upper)


def weighted_t_interval(values: np.ndarray, weights: np.ndarray, level: float = 0.95):
    """Bootstrap-t, replicate by replicate: each replicate's weighted mean and weighted
    standard error (of ``Σw`` values), the studentized deviations' quantiles."""
    n, mean = values.size, values.mean()
    se = values.std(ddof=1) / np.sqrt(n)
    studentized = []
    for w in weights:
        total = w.sum()
        resampled_mean = np.average(values, weights=w)
        variance = (w * (values - resampled_mean) ** 2).sum() / (total - 1)
        studentized.append((resampled_mean - mean) / np.sqrt(variance / total))
    low, high = np.quantile(studentized, [(1 - level) / 2, (1 + level) / 2])
    return mean - high * se, mean - low * se


def test_bootstrap_t_interval_of_a_mean_and_a_sum() -> None:
    """From 30 clients, a bootstrapped mean's interval is the bootstrap-t with the clients'
    hashed weights, and a sum's is the client count times that of the mean over every client
    (NULLs as 0)."""
    from opwatch.stats.replicates import poisson_weights

    rng = np.random.default_rng(12)
    values = rng.lognormal(0, 1, 300)
    values[rng.random(300) < 0.2] = np.nan
    clients = rng.integers(0, 2**32, 300)
    weights = poisson_weights(clients, BOOTSTRAP.samples, BOOTSTRAP.seed)
    sample = ScalarSample(values, clients=clients)
    present = ~np.isnan(values)
    mean = estimate("mean", sample, BOOTSTRAP)[0]
    expected = weighted_t_interval(values[present], weights[:, present])
    assert (mean.lower, mean.upper) == pytest.approx(expected, rel=1e-9)
    total = estimate("sum", sample, BOOTSTRAP)[0]
    low, high = weighted_t_interval(np.nan_to_num(values), weights)
    assert (total.lower, total.upper) == pytest.approx((300 * low, 300 * high), rel=1e-9)
    assert total.upper - total.point > total.point - total.lower  # skewed: a longer upper side
