"""The vectorized statistics of many groups equal the per-group definitions."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.stats.grouped import grouped_percentile_estimates
from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import HistogramSample, ScalarSample, statistic
from opwatch.stats.scalar_percentiles import percentile_estimates

SETTINGS = IntervalSettings(method="analytic")
PERCENTILES = np.asarray([1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0, 99.9])


def groups(seed: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([0, 1, 2, 3, 7, 40, 300], size=60)
    column = np.round(rng.lognormal(2, 1, size=int(sizes.sum())), 1)
    column[rng.random(column.size) < 0.2] = np.nan
    column[: sizes[0] + sizes[1]] = np.nan  # groups with nothing but NULLs
    ends = np.cumsum(sizes)
    bounds = [(int(e - s), int(e)) for s, e in zip(sizes, ends, strict=True)]
    return column, bounds


@pytest.mark.parametrize("remove_nulls", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_percentiles_equal_the_per_group_computation(seed: int, remove_nulls: bool):
    column, bounds = groups(seed)
    parameters = {"remove_nulls": remove_nulls}
    found = grouped_percentile_estimates(column, bounds, parameters, PERCENTILES, SETTINGS)
    for (start, end), batch in zip(bounds, found, strict=True):
        expected = percentile_estimates(
            ScalarSample(column[start:end]), parameters, PERCENTILES, SETTINGS, SETTINGS.rng()
        )
        assert list(batch) == list(expected)
        assert list(batch.parameters) == list(expected.parameters)


def histogram_groups(seed: int) -> tuple[HistogramSample, list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    lower = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 16.0])
    upper = np.append(lower[1:], lower[-1])
    sizes = rng.choice([1, 2, 5, 30, 200], size=25)
    counts = rng.poisson([0.5, 3, 6, 3, 1, 0.2], size=(int(sizes.sum()), 6)).astype(float)
    counts[:, 2] += 1  # every client has a sample
    ends = np.cumsum(sizes)
    bounds = [(int(e - s), int(e)) for s, e in zip(sizes, ends, strict=True)]
    shares = counts / counts.sum(axis=1, keepdims=True)
    return HistogramSample(shares, lower, upper), bounds


@pytest.mark.parametrize("name", ["histogram", "percentile"])
@pytest.mark.parametrize("seed", [1, 2])
def test_grouped_histogram_statistics_equal_the_per_group_computation(name: str, seed: int):
    stacked, bounds = histogram_groups(seed)
    computed = statistic(name, "histogram")
    parameters = {"percentiles": [25, 50, 99.5]}
    found = computed.estimate_groups(stacked, bounds, parameters, SETTINGS)
    for (start, end), batch in zip(bounds, found, strict=True):
        sample = HistogramSample(stacked.shares[start:end], stacked.lower, stacked.upper)
        expected = computed.estimate(sample, parameters, SETTINGS, SETTINGS.rng())
        assert list(batch.parameters) == list(expected.parameters)
        for mine, theirs in zip(batch, expected, strict=True):
            # sums in another order: equal to the last few bits, not bit for bit
            assert mine.point == pytest.approx(theirs.point, rel=1e-12, abs=1e-15)
            if theirs.lower is None:
                assert mine.lower is None
            else:
                assert mine.lower == pytest.approx(theirs.lower, rel=1e-9, abs=1e-12)
                assert mine.upper == pytest.approx(theirs.upper, rel=1e-9, abs=1e-12)


def test_bootstrap_has_no_grouped_form() -> None:
    bootstrap = IntervalSettings(method="bootstrap")
    for name in ("histogram", "percentile"):
        computed = statistic(name, "histogram")
        assert computed.groups_at_once(SETTINGS)
        assert not computed.groups_at_once(bootstrap)
    assert not statistic("mean", "scalar").groups_at_once(SETTINGS)
