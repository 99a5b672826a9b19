"""Statistics of many groups at once (the analytic path, vectorized).

A build-id project with a few dimensions has hundreds of small groups a day, each with 99+
percentiles per metric: computed group by group, Python's per-call overhead dominates. Here a
metric's column is sorted within groups once, and every group's percentiles and
order-statistic intervals come from index arithmetic over the flat sorted array. The results
equal :func:`opwatch.stats.scalar_percentiles.percentile_estimates` group by group (a test
checks it), which stays the definition and serves the bootstrap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from opwatch.stats.histogram_math import cdf_at, percentiles_of_many
from opwatch.stats.intervals import Estimates, IntervalSettings, no_interval
from opwatch.stats.registry import HistogramSample, parameter_names
from opwatch.stats.scalar_sums import OrderStatistics, percentiles_from_order


def grouped_percentile_estimates(
    column: np.ndarray,
    bounds: list[tuple[int, int]],
    parameters: Mapping[str, Any],
    percentiles: np.ndarray,
    settings: IntervalSettings,
) -> list[Estimates]:
    """The analytic ``percentiles`` of ``column``'s slices ``bounds``, one Estimates each:
    every group's values sorted at once, read as the order statistics the engine's path reads
    (:func:`~opwatch.stats.scalar_sums.percentiles_from_order`)."""
    if not bounds:
        return []
    starts = np.asarray([start for start, _ in bounds], dtype=np.int64)
    ends = np.asarray([end for _, end in bounds], dtype=np.int64)
    group = np.repeat(np.arange(starts.size), ends - starts)
    values = np.concatenate([column[start:end] for start, end in bounds])
    missing = np.isnan(values)
    has_values = np.bincount(group, weights=~missing, minlength=starts.size) > 0
    if parameters.get("remove_nulls", False):
        group, values = group[~missing], values[~missing]
    else:
        values = np.where(missing, 0.0, values)
    order = np.lexsort((values, group))
    ordered, group = values[order], group[order]
    sizes = np.bincount(group, minlength=starts.size)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ranks = np.arange(ordered.size) - offsets[group]
    statistics = OrderStatistics.read(sizes, group, ranks, ordered)
    return percentiles_from_order(statistics, has_values, percentiles, settings)


def _group_moments(
    shares: np.ndarray, bounds: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sizes, row-to-group index and per-group means (groups x columns) of stacked rows."""
    sizes = np.asarray([end - start for start, end in bounds], dtype=np.int64)
    starts = np.asarray([start for start, _ in bounds], dtype=np.int64)
    means = np.add.reduceat(shares, starts, axis=0) / sizes[:, None]
    return sizes, np.repeat(np.arange(sizes.size), sizes), means


def _group_standard_errors(
    values: np.ndarray, bounds: list[tuple[int, int]], means: np.ndarray
) -> np.ndarray:
    """Standard error of each group's mean of ``values`` rows (two-pass variance, ddof 1):
    groups x columns; NaN for a group of one."""
    sizes, row_group, _ = _group_moments(values[:, :1], bounds)
    starts = np.asarray([start for start, _ in bounds], dtype=np.int64)
    deviations = values - means[row_group]
    squares = np.add.reduceat(deviations * deviations, starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = squares / (sizes - 1)[:, None]
        return np.asarray(np.sqrt(variance) / np.sqrt(sizes)[:, None])


def grouped_mean_histograms(
    sample: HistogramSample, bounds: list[tuple[int, int]], settings: IntervalSettings
) -> list[Estimates]:
    """The analytic ``histogram`` statistic of every group of stacked client rows."""
    sizes, _, means = _group_moments(sample.shares, bounds)
    se = _group_standard_errors(sample.shares, bounds, means)
    return mean_histogram_estimates(sizes, means, se, sample.lower, settings)


def mean_histogram_estimates(
    sizes: np.ndarray,
    means: np.ndarray,
    se: np.ndarray,
    bucket_lower: np.ndarray,
    settings: IntervalSettings,
) -> list[Estimates]:
    """The ``histogram`` statistic of groups of ``sizes`` clients with mean histograms
    ``means`` and their standard errors (groups x buckets): each non-empty bucket's mean with
    a normal interval clipped to [0, 1]; no interval for a single client."""
    half = settings.z * se
    lower = np.maximum(means - half, 0.0)
    upper = np.minimum(means + half, 1.0)
    results = []
    for index in range(sizes.size):
        filled = np.flatnonzero(means[index] > 0)
        names = parameter_names(bucket_lower[filled])
        if sizes[index] < 2:
            results.append(no_interval(names, means[index, filled]))
            continue
        results.append(
            Estimates(
                names,
                means[index, filled],
                lower[index, filled],
                upper[index, filled],
                se=se[index, filled],
            )
        )
    return results


def grouped_histogram_percentiles(
    sample: HistogramSample,
    bounds: list[tuple[int, int]],
    percentiles: np.ndarray,
    settings: IntervalSettings,
) -> list[Estimates]:
    """Percentiles of every group's mean histogram with Woodruff's intervals, at once."""
    sizes, row_group, means = _group_moments(sample.shares, bounds)
    q = percentiles / 100.0
    points = percentiles_of_many(sample.lower, sample.upper, means, q)
    client_cdfs = cdf_at(sample.lower, sample.upper, sample.shares, points, row_of=row_group)
    cdf_means = _group_moments(client_cdfs, bounds)[2]
    half = settings.z * _group_standard_errors(client_cdfs, bounds, cdf_means)
    ends = np.concatenate([np.clip(q - half, 1e-9, 1.0), np.clip(q + half, 1e-9, 1.0)], axis=1)
    # the same arithmetic as the per-group path: ends go through percent and back
    bounds_read = percentiles_of_many(sample.lower, sample.upper, means, (ends * 100) / 100.0)
    lower, upper = bounds_read[:, : q.size], bounds_read[:, q.size :]
    names = parameter_names(percentiles)
    results = []
    for index in range(sizes.size):
        if sizes[index] < 2:
            results.append(no_interval(names, points[index]))
            continue
        se = (upper[index] - lower[index]) / (2 * settings.z)
        results.append(Estimates(names, points[index], lower[index], upper[index], se=se))
    return results
