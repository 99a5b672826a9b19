"""Histogram statistics from per-group sums equal those computed from the clients."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.stats.grouped import grouped_histogram_percentiles, grouped_mean_histograms
from opwatch.stats.histogram_sums import (
    HistogramSums,
    histogram_percentiles_from_sums,
    mean_histograms_from_sums,
)
from opwatch.stats.intervals import Estimates, IntervalSettings
from opwatch.stats.registry import requested_percentiles
from tests.stats.test_grouped import histogram_groups

SETTINGS = IntervalSettings(method="analytic")
RELATIVE = 1e-9


def sums_of_clients(
    matrix: np.ndarray, bounds: list[tuple[int, int]], lower: np.ndarray, upper: np.ndarray
) -> HistogramSums:
    """The sums of stacked client rows (clients x buckets; group ``i`` is rows ``bounds[i]``),
    computed directly from the definitions, as the engine's query does in SQL."""
    starts = np.asarray([start for start, _ in bounds], dtype=np.int64)
    before = np.cumsum(matrix, axis=1) - matrix
    sizes = np.asarray([end - start for start, end in bounds], dtype=np.float64)

    def total(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, starts, axis=0)

    return HistogramSums(
        sizes, total(matrix), total(matrix**2), total(matrix * before), lower, upper
    )


def assert_same(found: list[Estimates], expected: list[Estimates]) -> None:
    assert len(found) == len(expected)
    for mine, theirs in zip(found, expected, strict=True):
        assert list(mine.parameters) == list(theirs.parameters)
        for name in ("points", "lower", "upper"):
            np.testing.assert_allclose(
                getattr(mine, name), getattr(theirs, name), rtol=RELATIVE, atol=1e-12
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mean_histograms_from_sums_equal_the_clients(seed: int) -> None:
    sample, bounds = histogram_groups(seed)
    sums = sums_of_clients(sample.shares, bounds, sample.lower, sample.upper)
    expected = grouped_mean_histograms(sample, bounds, SETTINGS)
    assert_same(mean_histograms_from_sums(sums, SETTINGS), expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_woodruff_percentiles_from_sums_equal_the_clients(seed: int) -> None:
    sample, bounds = histogram_groups(seed)
    sums = sums_of_clients(sample.shares, bounds, sample.lower, sample.upper)
    percentiles = np.asarray(requested_percentiles({"percentiles": [25, 50, 99.5]}))
    expected = grouped_histogram_percentiles(sample, bounds, percentiles, SETTINGS)
    found = histogram_percentiles_from_sums(sums, percentiles, SETTINGS)
    assert_same(found, expected)
    widths = np.concatenate([e.upper - e.lower for e in found if len(e)])
    assert np.nanmax(widths) > 0  # intervals, not points


def test_a_point_in_a_bucket_some_clients_lack_counts_their_cdf() -> None:
    """Clients without samples in the point's bucket still have a CDF there (C(k-1))."""
    lower = np.array([0.0, 1.0, 2.0, 3.0])
    upper = np.array([1.0, 2.0, 3.0, 3.0])
    shares = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1.0]])
    bounds = [(0, 4)]
    sums = sums_of_clients(shares, bounds, lower, upper)
    from opwatch.stats.registry import HistogramSample

    expected = grouped_histogram_percentiles(
        HistogramSample(shares, lower, upper), bounds, np.asarray([30.0, 50.0, 80.0]), SETTINGS
    )
    assert_same(
        histogram_percentiles_from_sums(sums, np.asarray([30.0, 50.0, 80.0]), SETTINGS), expected
    )
