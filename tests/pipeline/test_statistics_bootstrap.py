"""Bootstrap intervals equal an independent computation with the documented replicate weights.

The weights are a contract between engines: client ``c`` weighs, in replicate ``r``, the
Poisson(1) count that a hash of (c, r, seed) gives (docs/statistics.md). The oracle here
re-implements that hash from its definition with Python's own integers and hashlib, reads the
client tables with pandas and computes each group's replicates and their central 95 % quantiles
in numpy — so the statistics step (the replicate totals added up in SQL for scalars, the
histogram replicates in numpy) must agree with it to rounding, run after run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opwatch.config import load_project
from opwatch.config.resolved import StatisticsSettings
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.stats.buckets import exponential_bounds
from tests.pipeline.test_statistics import (
    KEYS,
    histogram_matrix,
    percentile_by_walking,
    rows,
    run,
    table,
)

SAMPLES, SEED = 200, 5
MODULUS = 2**31 - 1


def md5_word(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16)


def oracle_weights(client_id: str) -> np.ndarray:
    """The client's weight in each replicate, from the definition, one integer at a time."""
    thresholds, cumulative, term = [], 0.0, math.exp(-1.0)
    for k in range(12):  # P(Poisson(1) <= k), scaled to the hash's integers
        cumulative += term
        term /= k + 1
        thresholds.append(round(MODULUS * cumulative))
    c = md5_word(client_id) % MODULUS
    s = md5_word(f"opwatch-bootstrap-{SEED}") % MODULUS
    weights = []
    for r in range(SAMPLES):
        x = (c * 48271 + (r + 1) * 69621 + s) % MODULUS
        x = (x * x + c) % MODULUS
        x = (x * 40692 + r) % MODULUS
        x = (x * x + s) % MODULUS
        weights.append(sum(x >= t for t in thresholds))
    return np.asarray(weights, dtype=float)


def interval(point: float, draws: np.ndarray) -> tuple[float, float]:
    """Central 95 % of the finite replicates, widened to hold the point."""
    finite = draws[np.isfinite(draws)]
    low, high = np.quantile(finite, [0.025, 0.975])
    return min(low, point), max(high, point)


@pytest.fixture(scope="module")
def bootstrapped(telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with every interval bootstrapped."""
    project = load_project(demo_project_path())
    method = StatisticsSettings(interval_method="bootstrap", bootstrap_samples=SAMPLES, seed=SEED)
    results = tmp_path_factory.mktemp("bootstrap") / "results"
    run(telemetry, results, dataclasses.replace(project, statistics=method))
    return results


def test_scalar_bootstrap_equals_the_oracle_weights(bootstrapped: Path) -> None:
    statistics = table(bootstrapped, "opwatch_demo_statistics")
    scalar = table(bootstrapped, "opwatch_demo_scalar")
    values = scalar[scalar["name"] == "active_ticks"]
    means, sums = rows(statistics, "active_ticks", "mean"), rows(statistics, "active_ticks", "sum")
    checked = 0
    for key, group in values.groupby(KEYS):
        x = group["value"].to_numpy(dtype=float)
        if np.count_nonzero(~np.isnan(x)) < 2:
            continue
        weights = np.stack([oracle_weights(c) for c in group["client_id"]])  # clients x draws
        present = ~np.isnan(x)
        totals = np.nan_to_num(x) @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_draws = totals / (present @ weights)
            sum_draws = x.size * totals / weights.sum(axis=0)
        mean, total = means.loc[(*key, None)], sums.loc[(*key, None)]
        expected_mean = interval(float(np.nanmean(x)), mean_draws)
        assert (mean["lower"], mean["upper"]) == pytest.approx(expected_mean, rel=1e-9)
        expected_sum = interval(float(np.nansum(x)), sum_draws)
        assert (total["lower"], total["upper"]) == pytest.approx(expected_sum, rel=1e-9)
        checked += 1
    assert checked > 20


def test_histogram_bootstrap_equals_the_oracle_weights(bootstrapped: Path) -> None:
    statistics = table(bootstrapped, "opwatch_demo_statistics")
    histograms = table(bootstrapped, "opwatch_demo_histogram")
    histograms = histograms[(histograms["probe"] == "gc_ms") & histograms["value"].notna()]
    histograms = histograms[[len(value) > 0 for value in histograms["value"]]]
    bounds = np.asarray(exponential_bounds(1, 10000, 50), dtype=float)
    means = rows(statistics, "gc_ms", "histogram")
    medians = rows(statistics, "gc_ms", "percentile")
    checked = 0
    for key, group in histograms.groupby(KEYS):
        if len(group) < 2:
            continue
        matrix = histogram_matrix(group, bounds)
        weights = np.stack([oracle_weights(c) for c in group["client_id"]])
        with np.errstate(invalid="ignore", divide="ignore"):
            replicated = (weights.T @ matrix) / weights.sum(axis=0)[:, None]  # draws x buckets
        mean = matrix.mean(axis=0)
        for k in np.flatnonzero(mean)[:5]:
            found = means.loc[(*key, str(int(bounds[k])))]
            expected = interval(mean[k], replicated[:, k])
            assert (found["lower"], found["upper"]) == pytest.approx(expected, rel=1e-9)
        drawn = weights.sum(axis=0) > 0  # a resample without clients has no histogram
        draws = np.asarray([percentile_by_walking(bounds, each, 50) for each in replicated[drawn]])
        found = medians.loc[(*key, "50")]
        expected = interval(percentile_by_walking(bounds, mean, 50), draws)
        assert (found["lower"], found["upper"]) == pytest.approx(expected, rel=1e-9)
        checked += 1
    assert checked > 10


def test_bootstrap_intervals_are_the_same_run_after_run(
    telemetry: GeneratedData, bootstrapped: Path, tmp_path: Path
) -> None:
    project = load_project(demo_project_path())
    method = StatisticsSettings(interval_method="bootstrap", bootstrap_samples=SAMPLES, seed=SEED)
    again = run(telemetry, tmp_path / "results", dataclasses.replace(project, statistics=method))
    first = table(bootstrapped, "opwatch_demo_statistics")
    order = list(first.columns)
    pd.testing.assert_frame_equal(
        first.sort_values(order[:-3]).reset_index(drop=True),
        again.sort_values(order[:-3]).reset_index(drop=True),
    )
