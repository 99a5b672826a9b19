"""Scalar statistics from per-group sums and order statistics equal the clients' definitions.

The sums are computed here with numpy as the engine's templates define them (two-pass
deviations; only non-NULL values ranked, the zeros of clients without a value left out), and
every statistic's :meth:`estimate_from_sums` is compared with :meth:`estimate` group by group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import ScalarSample, statistic
from opwatch.stats.scalar_sums import (
    OrderStatistics,
    RatioSums,
    ScalarMoments,
    ScalarSums,
    percentile_ranks,
    wanted_ranks,
)

SETTINGS = IntervalSettings(method="analytic")
SIZES = (1, 2, 3, 7, 30, 250)


def groups(seed: int) -> list[dict[str, np.ndarray]]:
    """Groups of clients with a metric ``x`` (ties, negatives, NULLs) and a denominator ``y``."""
    rng = np.random.default_rng(seed)
    found = []
    for size in SIZES:
        x = rng.integers(-4, 9, size).astype(np.float64)
        x[rng.random(size) < 0.3] = np.nan
        y = rng.exponential(2.0, size)
        y[rng.random(size) < 0.2] = np.nan
        found.append({"x": x, "y": y})
    return found


def sums_of(data: list[dict[str, np.ndarray]], q: np.ndarray) -> ScalarSums:
    """What the engine's templates return for metric ``x``, computed with numpy."""
    names = ("N", "n", "t", "neg", "c", "ca", "k", "ka")
    arrays: dict[str, list[float]] = {name: [] for name in names}
    ratio: dict[str, list[float]] = {name: [] for name in ("x", "y", "r", "rr")}
    for group in data:
        x, y = group["x"], group["y"]
        values = x[~np.isnan(x)]
        mean = values.sum() / values.size if values.size else np.nan
        for name, value in (
            ("N", x.size),
            ("n", values.size),
            ("t", values.sum()),
            ("neg", np.count_nonzero(values < 0)),
            ("c", ((values - mean) ** 2).sum() if values.size else 0.0),
            ("ca", ((values - values.sum() / x.size) ** 2).sum()),
            ("k", ((values - mean) ** 3).sum() if values.size else 0.0),
            ("ka", ((values - values.sum() / x.size) ** 3).sum()),
        ):
            arrays[name].append(float(value))
        x0, y0 = np.nan_to_num(x), np.nan_to_num(y)
        r = x0 - x0.sum() / y0.sum() * y0
        for name, value in (
            ("x", x0.sum()),
            ("y", y0.sum()),
            ("r", r.sum()),
            ("rr", (r * r).sum()),
        ):
            ratio[name].append(float(value))
    columns = {name: np.asarray(values) for name, values in arrays.items()}
    moments = ScalarMoments(*(columns[name] for name in names))
    pair = {name: np.asarray(values) for name, values in ratio.items()}
    ratios = {"y": RatioSums(columns["N"], pair["x"], pair["y"], pair["r"], pair["rr"])}
    orders = {flag: _order(data, q, flag, moments) for flag in (False, True)}
    return ScalarSums(moments, ratios, orders)


def _order(
    data: list[dict[str, np.ndarray]], q: np.ndarray, remove_nulls: bool, moments: ScalarMoments
) -> OrderStatistics:
    """The values at the ranks wanted, as the ranks template reads them: non-NULL values
    only, shifted past the zeros of clients without a value when those count."""
    if remove_nulls:
        sizes = moments.count.astype(np.int64)
    else:
        sizes = np.where(moments.count > 0, moments.clients, 0).astype(np.int64)
    wanted = set(
        zip(
            *(array.tolist() for array in wanted_ranks(percentile_ranks(sizes, q, SETTINGS))),
            strict=True,
        )
    )
    rows: list[tuple[int, int, float]] = []
    for index, group in enumerate(data):
        x = np.sort(group["x"][~np.isnan(group["x"])])
        missing = group["x"].size - x.size
        for rank, value in enumerate(x.tolist()):
            shifted = rank + (missing if not remove_nulls and value >= 0 else 0)
            if (int(sizes[index]), shifted) in wanted:
                rows.append((index, shifted, value))
    index_of, ranks, values = (np.asarray(column) for column in zip(*rows, strict=True))
    return OrderStatistics.read(sizes, index_of, ranks, values)


STATISTICS: list[tuple[str, dict[str, Any]]] = [
    ("count", {}),
    ("mean", {}),
    ("sum", {}),
    ("total_ratio", {"denominator_metric": "y"}),
    ("quantile", {}),
    ("percentile", {"percentiles": [5, 50, 99.9]}),
    ("percentile", {"percentiles": [50], "remove_nulls": True}),
]


@pytest.mark.parametrize(("name", "parameters"), STATISTICS)
def test_estimates_from_sums_equal_the_clients_definition(
    name: str, parameters: dict[str, Any]
) -> None:
    data = groups(seed=3)
    computed = statistic(name, "scalar")
    ranked = computed.ranked(parameters)
    q = ranked[1] / 100.0 if ranked else np.asarray([0.5])
    found = computed.estimate_from_sums(sums_of(data, q), parameters, SETTINGS)
    rng = np.random.default_rng(0)
    for group, estimates in zip(data, found, strict=True):
        wanted = computed.estimate(ScalarSample(group["x"], group), parameters, SETTINGS, rng)
        assert estimates is not None
        assert list(estimates.parameters) == list(wanted.parameters)
        for field in ("points", "lower", "upper"):
            np.testing.assert_allclose(
                getattr(estimates, field), getattr(wanted, field), rtol=1e-12, atol=1e-12
            )


def test_a_group_the_bootstrap_serves_is_left_to_the_clients() -> None:
    """Under ``auto`` a mean of fewer than 30 values needs the clients: None, not a guess."""
    data = groups(seed=3)
    found = statistic("mean", "scalar").estimate_from_sums(
        sums_of(data, np.asarray([0.5])), {}, IntervalSettings(method="auto")
    )
    small = [int(np.count_nonzero(~np.isnan(g["x"]))) for g in data]
    assert [estimates is None for estimates in found] == [2 <= n < 30 for n in small]
