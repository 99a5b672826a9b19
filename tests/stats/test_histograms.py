"""Histogram statistics: mean of normalized client histograms, percentiles, CDFs."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.stats.buckets import layout_from_definition
from opwatch.stats.histogram import histogram_percentile_estimates
from opwatch.stats.histogram_math import cdf_at, histogram_percentiles
from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import HistogramSample, statistic

LOWER = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
UPPER = np.array([1.0, 2.0, 4.0, 8.0, 8.0])


def clients(n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(2)
    counts = rng.poisson([1, 5, 10, 4, 1], size=(n, 5)).astype(float) + 1e-9
    return counts / counts.sum(axis=1, keepdims=True)


def test_cdf_at_inverts_the_percentile() -> None:
    shares = clients()
    mean = shares.mean(axis=0)
    points = histogram_percentiles(LOWER, UPPER, mean, np.array([10.0, 50.0, 90.0]))
    assert cdf_at(LOWER, UPPER, mean, points)[0] == pytest.approx([0.1, 0.5, 0.9])


def test_mean_histogram_statistic_matches_numpy() -> None:
    shares = clients()
    found = statistic("histogram", "histogram")
    settings = IntervalSettings(method="analytic")
    estimates = found.estimate(HistogramSample(shares, LOWER, UPPER), {}, settings, settings.rng())
    assert [e.parameter for e in estimates] == ["0", "1", "2", "4", "8"]
    assert [e.point for e in estimates] == pytest.approx(shares.mean(axis=0))
    half = 1.959963984540054 * shares.std(axis=0, ddof=1) / np.sqrt(len(shares))
    assert [e.upper for e in estimates] == pytest.approx(shares.mean(axis=0) + half)


def test_woodruff_and_bootstrap_intervals_agree() -> None:
    sample = HistogramSample(clients(3000), LOWER, UPPER)
    percentiles = np.array([25.0, 50.0, 75.0])
    analytic = IntervalSettings(method="analytic")
    bootstrap = IntervalSettings(method="bootstrap", samples=1000, seed=9)
    woodruff = histogram_percentile_estimates(sample, percentiles, analytic, analytic.rng())
    resampled = histogram_percentile_estimates(sample, percentiles, bootstrap, bootstrap.rng())
    for a, b in zip(woodruff, resampled, strict=True):
        assert a.point == b.point
        assert a.lower < a.point < a.upper
        width = a.upper - a.lower
        assert b.lower == pytest.approx(a.lower, abs=0.15 * width)
        assert b.upper == pytest.approx(a.upper, abs=0.15 * width)


def test_timing_distribution_percentiles_are_reported_in_its_time_unit() -> None:
    layout = layout_from_definition({"kind": "timing_distribution", "time_unit": "millisecond"})
    assert layout.scale == 1e6 and layout.per_power_of_2 == 8  # functional: no overflow bucket
    keys = np.array([float(layout.bucket_of(5_000_000))])  # one sample of 5 ms, in ns
    lower = layout.bounds_covering(keys)
    upper = layout.upper_bounds(lower)
    shares = (lower == keys[0]).astype(float)
    median = histogram_percentiles(lower / layout.scale, upper / layout.scale, shares, [50])[0]
    assert 4.5 < median < 5.5
