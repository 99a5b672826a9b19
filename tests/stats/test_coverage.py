"""Interval coverage: a nominal 95 % interval must cover the true value 93-97 % of the time.

Seeded simulations with a known truth. Scalar percentiles: client values from a log-normal
distribution, whose percentiles are known exactly. Histogram percentiles: clients with their
own log-normal mean each send a few samples, bucketed in Firefox's exponential layout; the
true mean client-normalized histogram is the expectation of a client's bucket probabilities,
integrated over clients by Gauss-Hermite quadrature, independently of any sampling.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from opwatch.stats.buckets import exponential_bounds
from opwatch.stats.histogram import histogram_percentile_estimates
from opwatch.stats.histogram_math import histogram_percentiles
from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import HistogramSample, ScalarSample, statistic
from opwatch.stats.scalar_percentiles import percentile_estimates

TRIALS = 1000
CLIENTS = 500


def coverage(hits: list[bool]) -> float:
    """Share of trials whose interval covered the truth."""
    return float(np.mean(hits))


@pytest.mark.parametrize("method", ["bootstrap", "analytic"])
@pytest.mark.parametrize("percentile", [50, 90])
def test_scalar_percentile_interval_covers_the_true_percentile(method: str, percentile: int):
    settings = IntervalSettings(method=method, level=0.95, samples=1000, seed=1)  # type: ignore[arg-type]
    truth = float(np.exp(scipy_stats.norm.ppf(percentile / 100)))  # log-normal(0, 1)
    rng = np.random.default_rng(20261126)
    hits = []
    for trial in range(TRIALS):
        values = rng.lognormal(0.0, 1.0, size=CLIENTS)
        estimates = percentile_estimates(
            ScalarSample(values), {}, np.asarray([percentile]), settings, settings.rng(trial)
        )
        found = next(e for e in estimates if e.parameter == str(percentile))
        assert found.lower is not None and found.upper is not None
        hits.append(found.lower <= truth <= found.upper)
    assert 0.93 <= coverage(hits) <= 0.97, coverage(hits)


BOUNDS = np.asarray(exponential_bounds(1, 10000, 50), dtype=np.float64)
UPPER = np.append(BOUNDS[1:], BOUNDS[-1])
CLIENT_MU, CLIENT_MU_SD, SAMPLE_SIGMA = 3.0, 0.5, 0.8


def bucket_probabilities(mu: np.ndarray) -> np.ndarray:
    """P(a sample of a client with log-mean ``mu`` falls in each bucket): len(mu) x buckets.

    Samples are rounded down to integers, as Firefox records them.
    """
    edges = np.append(BOUNDS[1:], np.inf)  # bucket 0 starts at 0: its CDF there is 0
    cdf = scipy_stats.norm.cdf((np.log(edges[None, :]) - mu[:, None]) / SAMPLE_SIGMA)
    return np.diff(cdf, axis=1, prepend=0.0)


def true_mean_histogram() -> np.ndarray:
    """E over clients of a client's bucket probabilities (the expected normalized histogram:
    given its sample count, each share's expectation is the bucket probability)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    probabilities = bucket_probabilities(CLIENT_MU + CLIENT_MU_SD * nodes)
    return (weights[:, None] * probabilities).sum(axis=0) / weights.sum()


def simulated_clients(rng: np.random.Generator) -> np.ndarray:
    """One trial: each client's normalized histogram."""
    mu = rng.normal(CLIENT_MU, CLIENT_MU_SD, size=CLIENTS)
    counts = 1 + rng.poisson(5, size=CLIENTS)
    owner = np.repeat(np.arange(CLIENTS), counts)
    samples = np.floor(rng.lognormal(mu[owner], SAMPLE_SIGMA))
    bucket = np.searchsorted(BOUNDS, samples, side="right") - 1
    matrix = np.zeros((CLIENTS, BOUNDS.size))
    np.add.at(matrix, (owner, bucket), 1.0)
    return matrix / matrix.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("method", ["bootstrap", "analytic"])
@pytest.mark.parametrize("percentile", [50, 95])
def test_histogram_percentile_interval_covers_the_true_percentile(method: str, percentile: int):
    settings = IntervalSettings(method=method, level=0.95, samples=500, seed=2)  # type: ignore[arg-type]
    truth = float(
        histogram_percentiles(BOUNDS, UPPER, true_mean_histogram(), np.asarray([percentile]))[0]
    )
    rng, ids = np.random.default_rng(1126), np.random.default_rng(6)
    hits = []
    for trial in range(TRIALS if method == "analytic" else TRIALS // 2):
        clients = ids.integers(0, 2**32, CLIENTS)  # each trial's own clients (their weights)
        sample = HistogramSample(simulated_clients(rng), BOUNDS, UPPER, clients=clients)
        estimates = histogram_percentile_estimates(
            sample, np.asarray([percentile]), settings, settings.rng(trial)
        )
        found = next(e for e in estimates if e.parameter == str(percentile))
        assert found.lower is not None and found.upper is not None
        hits.append(found.lower <= truth <= found.upper)
    assert 0.93 <= coverage(hits) <= 0.97, coverage(hits)


@pytest.mark.parametrize(
    ("clients", "draw", "truth"),
    [
        (1000, lambda rng, n: rng.lognormal(0.0, 1.0, n), float(np.exp(0.5))),
        (30, lambda rng, n: rng.exponential(1.0, n), 1.0),
        (30, lambda rng, n: rng.normal(5.0, 2.0, n), 5.0),
    ],
    ids=["lognormal-1000", "exponential-30", "normal-30"],
)
def test_mean_interval_covers_the_true_mean(clients: int, draw, truth: float):
    """The analytic interval of a mean (Hall's skewness correction) on skewed values, where
    the symmetric normal interval covered 87-92 %, and on symmetric ones, where it must not
    grow wider than it needs."""
    settings = IntervalSettings(method="analytic", level=0.95)
    rng = np.random.default_rng(20261203)
    hits = []
    for trial in range(TRIALS):
        estimates = statistic("mean", "scalar").estimate(
            ScalarSample(draw(rng, clients)), {}, settings, settings.rng(trial)
        )
        assert estimates[0].lower is not None and estimates[0].upper is not None
        hits.append(estimates[0].lower <= truth <= estimates[0].upper)
    assert 0.93 <= coverage(hits) <= 0.97, coverage(hits)
