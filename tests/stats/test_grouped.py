"""The vectorized percentiles of many groups equal the per-group definition exactly."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.stats.grouped import grouped_percentile_estimates
from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import ScalarSample
from opwatch.stats.scalar import percentile_estimates

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
