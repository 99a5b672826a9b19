"""Statistics of histogram metrics: the mean client-normalized histogram and its percentiles.

Each client's histogram arrives normalized (the ETL sums a client's histograms per bucket and
divides by their total), so the group's histogram is the plain mean of its clients' rows: every
client weighs the same, however many samples it sent. Percentiles are read from that mean
histogram with the interpolation of :mod:`opwatch.stats.histogram_math`, in the metric's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from opwatch.stats.grouped import grouped_histogram_percentiles, grouped_mean_histograms
from opwatch.stats.histogram_math import cdf_at, histogram_percentiles, percentiles_of_many
from opwatch.stats.histogram_sums import (
    HistogramSums,
    histogram_percentiles_from_sums,
    mean_histograms_from_sums,
)
from opwatch.stats.intervals import (
    NONE,
    Estimates,
    IntervalSettings,
    from_draws,
    no_interval,
    poisson_weighted_sums,
)
from opwatch.stats.registry import (
    HistogramSample,
    Statistic,
    client_numbers,
    configured_percentile_names,
    only_configured_percentiles,
    parameter_names,
    register,
    requested_percentiles,
)


def _resampled_means(sample: HistogramSample, settings: IntervalSettings) -> np.ndarray:
    """Bootstrap replicates of the mean histogram: resamples x buckets (drawn once per
    sample, whichever statistic asks first)."""
    if "means" not in sample.resampled:
        columns = np.column_stack([sample.shares, np.ones(sample.shares.shape[0])])
        clients = client_numbers(sample.shares.shape[0], sample.clients)
        sums = poisson_weighted_sums(columns, clients, settings)
        with np.errstate(invalid="ignore", divide="ignore"):
            sample.resampled["means"] = sums[:, :-1] / sums[:, -1:]
    return sample.resampled["means"]


@register
class MeanHistogram(Statistic):
    """The mean of clients' normalized histograms: one value per non-empty bucket, whose
    parameter is the bucket's lower bound."""

    name = "histogram"
    metric_types = frozenset({"histogram"})
    vectorized = True

    def estimate(
        self,
        sample: HistogramSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """Each bucket's mean share with its interval."""
        n = sample.shares.shape[0]
        if n == 0:
            return NONE
        means = sample.shares.mean(axis=0)
        filled = np.flatnonzero(means > 0)
        names = parameter_names(sample.lower[filled])
        if n < 2:
            return no_interval(names, means[filled])
        # a normal interval clipped to [0, 1] at any size in auto: a handful of clients'
        # bootstrap is no better, and this statistic has a value per bucket
        if settings.bootstraps(n, analytic_always_valid=True):
            draws = _resampled_means(sample, settings)
            return from_draws(names, means[filled], draws[:, filled].T, settings)
        se = sample.shares[:, filled].std(axis=0, ddof=1) / np.sqrt(n)
        half = settings.z * se
        points = means[filled]
        lower, upper = np.maximum(points - half, 0.0), np.minimum(points + half, 1.0)
        return Estimates(names, points, lower, upper, se=se)

    def estimate_groups(
        self,
        data: HistogramSample,
        bounds: list[tuple[int, int]],
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
    ) -> list[Estimates]:
        """Every group at once, with analytic intervals."""
        return grouped_mean_histograms(data, bounds, settings)

    summed = True

    def estimate_from_sums(
        self, sums: HistogramSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> list[Estimates]:
        """Every group from its sums, with analytic intervals."""
        return mean_histograms_from_sums(sums, settings)

    def compared(self, values: Estimates, parameters: Mapping[str, Any]) -> Estimates:
        """None: bucket by bucket differences say little; the percentiles are compared."""
        return NONE


@register
class HistogramPercentile(Statistic):
    """Percentiles of the mean histogram: the configured ones and every integer one, 1 … 99."""

    name = "percentile"
    metric_types = frozenset({"histogram"})
    vectorized = True

    def estimate(
        self,
        sample: HistogramSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """Each percentile with a Woodruff or bootstrap interval."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return histogram_percentile_estimates(sample, percentiles, settings, rng)

    def estimate_groups(
        self,
        data: HistogramSample,
        bounds: list[tuple[int, int]],
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
    ) -> list[Estimates]:
        """Every group at once, with Woodruff's intervals."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return grouped_histogram_percentiles(data, bounds, percentiles, settings)

    summed = True

    def estimate_from_sums(
        self, sums: HistogramSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> list[Estimates]:
        """Every group from its sums, with Woodruff's intervals."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return histogram_percentiles_from_sums(sums, percentiles, settings)

    def compared(self, values: Estimates, parameters: Mapping[str, Any]) -> Estimates:
        """Comparisons of the configured percentiles only."""
        return only_configured_percentiles(values, parameters)

    def row_parameters(self, parameters: Mapping[str, Any]) -> frozenset[str]:
        """The configured percentiles: the rest of 1 … 99 are there for the dashboard's
        percentile control."""
        return configured_percentile_names(parameters)


def histogram_percentile_estimates(
    sample: HistogramSample,
    percentiles: np.ndarray,
    settings: IntervalSettings,
    rng: np.random.Generator,
) -> Estimates:
    """``percentiles`` of the sample's mean histogram, with intervals."""
    n = sample.shares.shape[0]
    if n == 0:
        return NONE
    mean = sample.shares.mean(axis=0)
    points = histogram_percentiles(sample.lower, sample.upper, mean, percentiles)
    names = parameter_names(percentiles)
    if n < 2:
        return no_interval(names, points)
    # Woodruff's interval is that of a mean of bounded values (each client's CDF at the
    # percentile): like order statistics, ``auto`` uses it at any size
    if settings.bootstraps(n, analytic_always_valid=True):
        means = _resampled_means(sample, settings)
        draws = percentiles_of_many(sample.lower, sample.upper, means, percentiles / 100)
        return from_draws(names, points, draws.T, settings)
    lower, upper = _woodruff_bounds(sample, mean, points, percentiles / 100, settings)
    return Estimates(names, points, lower, upper, se=(upper - lower) / (2 * settings.z))


def _woodruff_bounds(
    sample: HistogramSample,
    mean: np.ndarray,
    points: np.ndarray,
    q: np.ndarray,
    settings: IntervalSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Woodruff's interval: the CDF at each percentile has a normal interval over clients
    (each client's own CDF there is one observation); its ends, read back through the mean
    histogram, bound the percentile."""
    client_cdfs = cdf_at(sample.lower, sample.upper, sample.shares, points)
    se = client_cdfs.std(axis=0, ddof=1) / np.sqrt(client_cdfs.shape[0])
    half = settings.z * se
    low_ends = np.clip(q - half, 1e-9, 1.0) * 100
    high_ends = np.clip(q + half, 1e-9, 1.0) * 100
    ends = histogram_percentiles(sample.lower, sample.upper, mean, np.append(low_ends, high_ends))
    return ends[: q.size], ends[q.size :]
