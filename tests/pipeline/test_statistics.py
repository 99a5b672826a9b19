"""``<slug>_statistics`` equals an independent computation over the client-level tables.

The ETL's client tables are checked against raw data by test_oracle; here pandas reads them
back and numpy / scipy compute every statistic of the demo project per group, the way the
definitions in docs/statistics.md say: count, sum, mean, percentiles of client values (NULL as
0), total_ratio, the mean normalized histogram and its percentiles (interpolated in the
layout's buckets), the analytic intervals (Hall's skewness-corrected t interval solved with
scipy, scipy's quantile-test intervals), and the branch comparisons.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from opwatch.config import Project, load_project
from opwatch.config.resolved import StatisticsSettings
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.pipeline import open_runner
from opwatch.stats.buckets import exponential_bounds
from tests.conftest import days, settings_for
from tests.stats.test_scalar import hall_interval

KEYS = ["submission_date", "os", "branch"]
RELATIVE = 1e-9
FLOAT32 = 1.2e-7
"""A 4-byte float's relative rounding (2^-23), with room for the printed decimal."""


def run(telemetry: GeneratedData, results: Path, project: Project) -> pd.DataFrame:
    with open_runner(settings_for(telemetry, results, batch_days=4)) as runner:
        assert runner.run([project], days(telemetry)).ok
    return table(results, "opwatch_demo_statistics")


def table(results: Path, name: str) -> pd.DataFrame:
    """A result table; a statistics table with its packed percentiles as rows (``packed``
    true: stored as 4-byte floats), decoded as docs/statistics.md describes the format."""
    path = results / "tables" / name / "*" / "*.parquet"
    files = f"read_parquet('{path}', hive_partitioning = false)"
    if not name.endswith("_statistics"):
        return duckdb.sql(f"SELECT * FROM {files}").df()
    numbers = "point, lower, upper, points, lowers, uppers"
    return duckdb.sql(
        f"""SELECT * EXCLUDE ({numbers}), FALSE AS packed, point, lower, upper FROM {files}
        WHERE parameter IS DISTINCT FROM '*'
        UNION ALL
        SELECT * EXCLUDE ({numbers}, i) REPLACE (CAST(i AS VARCHAR) AS parameter), TRUE,
            points[i], lowers[i], uppers[i]
        FROM {files}, (SELECT range AS i FROM range(1, 100)) WHERE parameter = '*'
            AND points[i] IS NOT NULL"""
    ).df()


def tolerance(found: pd.Series) -> float:
    """The relative tolerance of a stored value: a packed one is a 4-byte float."""
    return FLOAT32 if found["packed"] else RELATIVE


@pytest.fixture(scope="module")
def analytic(telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with analytic intervals everywhere."""
    project = load_project(demo_project_path())
    project = dataclasses.replace(
        project, statistics=StatisticsSettings(interval_method="analytic")
    )
    results = tmp_path_factory.mktemp("analytic") / "results"
    run(telemetry, results, project)
    return results


@pytest.fixture(scope="module")
def default(telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project as configured (auto intervals)."""
    results = tmp_path_factory.mktemp("auto") / "results"
    run(telemetry, results, load_project(demo_project_path()))
    return results


def rows(statistics: pd.DataFrame, metric: str, statistic: str) -> pd.DataFrame:
    """A statistic's own rows (no comparisons), indexed by group and parameter."""
    frame = statistics[
        (statistics["metric"] == metric)
        & (statistics["statistic"] == statistic)
        & statistics["comparison"].isna()
    ]
    return frame.set_index([*KEYS, "parameter"]).sort_index()


def scalar_values(results: Path, metric: str) -> pd.DataFrame:
    scalar = table(results, "opwatch_demo_scalar")
    return scalar[scalar["name"] == metric]


def test_count_sum_mean_and_their_intervals(analytic: Path) -> None:
    statistics = table(analytic, "opwatch_demo_statistics")
    values = scalar_values(analytic, "active_ticks")
    checked = 0
    for key, group in values.groupby(KEYS):
        x = group["value"].to_numpy(dtype=float)
        present = x[~np.isnan(x)]
        mean = rows(statistics, "active_ticks", "mean").loc[(*key, None)]
        total = rows(statistics, "active_ticks", "sum").loc[(*key, None)]
        assert mean["point"] == pytest.approx(present.mean(), rel=RELATIVE)
        assert total["point"] == pytest.approx(present.sum(), rel=RELATIVE)
        if present.size > 1:
            low, high = hall_interval(present)
            assert (mean["lower"], mean["upper"]) == pytest.approx((low, high), rel=RELATIVE)
            low, high = hall_interval(np.nan_to_num(x))  # a sum's clients: NULL as 0
            assert (total["lower"], total["upper"]) == pytest.approx(
                (low * x.size, high * x.size), rel=RELATIVE
            )
            checked += 1
    assert checked > 20


def test_percentiles_of_client_values_with_order_statistic_intervals(analytic: Path) -> None:
    statistics = table(analytic, "opwatch_demo_statistics")
    percentiles = rows(statistics, "uri_count", "percentile")
    checked = 0
    for key, group in scalar_values(analytic, "uri_count").groupby(KEYS):
        x = np.nan_to_num(group["value"].to_numpy(dtype=float))  # remove_nulls = false
        if x.size < 2:
            continue  # a single client has no interval
        for p in (1, 50, 90, 99):
            found = percentiles.loc[(*key, str(p))]
            assert found["packed"] == (p not in (50, 90))  # the configured ones are rows
            assert found["point"] == pytest.approx(np.percentile(x, p), rel=tolerance(found))
            interval = scipy_stats.quantile_test(
                x, q=np.percentile(x, p), p=p / 100
            ).confidence_interval(0.95)
            # where scipy finds no order statistic that far out (NaN), ours clips to the sample;
            # and an interval always holds its (interpolated) point
            point = np.percentile(x, p)
            low = min(interval.low if np.isfinite(interval.low) else x.min(), point)
            high = max(interval.high if np.isfinite(interval.high) else x.max(), point)
            assert (found["lower"], found["upper"]) == pytest.approx(
                (low, high), rel=tolerance(found)
            )
            checked += 1
    assert checked > 80
    # every integer percentile is served, besides the configured 50 and 90
    assert set(percentiles.index.get_level_values("parameter")) == {str(p) for p in range(1, 100)}


def test_count_of_clients_with_a_value(default: Path) -> None:
    """count is not configured by the demo: check it through a direct statistic call."""
    from opwatch.stats.intervals import IntervalSettings
    from opwatch.stats.registry import ScalarSample, statistic

    values = scalar_values(default, "uri_count")["value"].to_numpy(dtype=float)
    count = statistic("count", "scalar")
    assert count is not None
    estimate = count.estimate(ScalarSample(values), {}, IntervalSettings(), np.random.default_rng())
    assert estimate[0].point == np.count_nonzero(~np.isnan(values))


def test_total_ratio(analytic: Path) -> None:
    statistics = table(analytic, "opwatch_demo_statistics")
    scalar = table(analytic, "opwatch_demo_scalar")
    wide = scalar.pivot_table(
        index=[*KEYS, "client_id"], columns="name", values="value", dropna=False, aggfunc="first"
    ).reset_index()
    ratios = rows(statistics, "crash_rate", "total_ratio")
    checked = 0
    for key, group in wide.groupby(KEYS):
        numerator = np.nan_to_num(group["crash_rate"].to_numpy(dtype=float))
        denominator = np.nan_to_num(group["main_crashes"].to_numpy(dtype=float))
        if denominator.sum() == 0:
            assert (*key, "main_crashes") not in ratios.index
            continue
        found = ratios.loc[(*key, "main_crashes")]
        assert found["point"] == pytest.approx(numerator.sum() / denominator.sum(), rel=RELATIVE)
        checked += 1
    assert checked > 0


def histogram_matrix(group: pd.DataFrame, bounds: np.ndarray) -> np.ndarray:
    """Clients x buckets shares, filled bucket by bucket from the lists."""
    matrix = np.zeros((len(group), bounds.size))
    for row, histogram in enumerate(group["value"]):
        for entry in histogram:
            matrix[row, list(bounds).index(entry["key"])] += entry["value"]
    return matrix


def percentile_by_walking(bounds: np.ndarray, shares: np.ndarray, p: float) -> float:
    """The documented interpolation, one bucket at a time."""
    upper = [*bounds[1:], bounds[-1]]
    cumulative = 0.0
    for k, share in enumerate(shares):
        if share > 0 and cumulative + share >= p / 100 - 1e-12:
            return float(bounds[k] + (p / 100 - cumulative) / share * (upper[k] - bounds[k]))
        cumulative += share
    return float(bounds[-1])


def test_mean_histogram_and_its_percentiles(analytic: Path) -> None:
    statistics = table(analytic, "opwatch_demo_statistics")
    histograms = table(analytic, "opwatch_demo_histogram")
    histograms = histograms[histograms["value"].notna()]
    bounds = np.asarray(exponential_bounds(1, 10000, 50), dtype=float)
    means = rows(statistics, "gc_ms", "histogram")
    percentiles = rows(statistics, "gc_ms", "percentile")
    for key, group in histograms[histograms["probe"] == "gc_ms"].groupby(KEYS):
        matrix = histogram_matrix(group, bounds)
        mean = matrix.mean(axis=0)
        for k in np.flatnonzero(mean):
            found = means.loc[(*key, str(int(bounds[k])))]
            assert found["point"] == pytest.approx(mean[k], rel=RELATIVE)
            if len(group) > 1:
                half = 1.959963984540054 * matrix[:, k].std(ddof=1) / np.sqrt(len(group))
                assert found["lower"] == pytest.approx(max(mean[k] - half, 0), abs=1e-12)
        for p in (25, 50, 95, 10, 99):
            expected = percentile_by_walking(bounds, mean, p)
            found = percentiles.loc[(*key, str(p))]
            assert found["point"] == pytest.approx(expected, rel=tolerance(found))


def test_branch_comparisons_are_differences_to_control(default: Path) -> None:
    statistics = table(default, "opwatch_demo_statistics")
    own = statistics[statistics["comparison"].isna()].set_index(
        ["submission_date", "os", "branch", "metric", "statistic", "parameter"]
    )["point"]
    compared = statistics[statistics["comparison"].notna()]
    assert set(compared["branch"]) == {"treatment"}
    for _, row in compared.sample(200, random_state=1).iterrows():
        where = (row["submission_date"], row["os"])
        what = (row["metric"], row["statistic"], row["parameter"])
        treatment, control = (
            own.loc[(*where, "treatment", *what)],
            own.loc[(*where, "control", *what)],
        )
        if row["comparison"] == "difference":
            assert row["point"] == pytest.approx(treatment - control, rel=RELATIVE, abs=1e-12)
        else:
            assert row["point"] == pytest.approx((treatment - control) / control, rel=RELATIVE)


def test_intervals_bracket_points_and_bootstrap_is_reproducible(
    telemetry: GeneratedData, default: Path, tmp_path: Path
) -> None:
    statistics = table(default, "opwatch_demo_statistics")
    bounded = statistics.dropna(subset=["lower", "upper"])
    assert len(bounded) > 0.9 * len(statistics[statistics["statistic"] != "count"])
    assert (bounded["lower"] <= bounded["point"] + 1e-9).all()
    assert (bounded["point"] <= bounded["upper"] + 1e-9).all()
    again = run(telemetry, tmp_path / "results", load_project(demo_project_path()))
    order = list(statistics.columns)
    pd.testing.assert_frame_equal(
        statistics.sort_values(order[:-3]).reset_index(drop=True),
        again.sort_values(order[:-3]).reset_index(drop=True),
    )


def test_comparisons_are_stored_for_configured_percentiles_only(default: Path) -> None:
    statistics = table(default, "opwatch_demo_statistics")
    compared = statistics[statistics["comparison"].notna()]
    percentiles = compared[compared["statistic"] == "percentile"]
    by_metric = percentiles.groupby("metric")["parameter"].agg(set).to_dict()
    assert by_metric == {
        "uri_count": {"50", "90"},
        "gc_ms": {"25", "50", "75", "95"},
        "gc_max_pause_ms_2": {"50", "95"},
    }
    assert "histogram" not in set(compared["statistic"])


def test_bootstrap_runs_give_the_same_points_with_their_own_intervals(
    telemetry: GeneratedData, analytic: Path, tmp_path: Path
) -> None:
    """The method changes intervals only: a bootstrap run (group by group, resampled) has the
    analytic run's points and intervals around them."""
    project = load_project(demo_project_path())
    bootstrap = StatisticsSettings(interval_method="bootstrap", bootstrap_samples=200)
    resampled = run(
        telemetry, tmp_path / "results", dataclasses.replace(project, statistics=bootstrap)
    )
    columns = [*KEYS, "metric", "statistic", "parameter", "comparison"]
    joined = resampled.merge(
        table(analytic, "opwatch_demo_statistics"), on=columns, suffixes=("", "_analytic")
    )
    assert len(joined) == len(resampled) == len(table(analytic, "opwatch_demo_statistics"))
    own = joined[joined["comparison"].isna()]
    assert np.allclose(own["point"], own["point_analytic"], rtol=1e-9, equal_nan=True)
    bounded = own.dropna(subset=["lower"])
    assert len(bounded) > 0.5 * len(own)
    assert not np.allclose(bounded["lower"], bounded["lower_analytic"], equal_nan=True)


@pytest.mark.parametrize(
    ("method", "from_sums"), [("auto", True), ("analytic", True), ("bootstrap", False)]
)
def test_histogram_statistics_come_from_sums_unless_bootstrapped(
    telemetry: GeneratedData, tmp_path: Path, method: str, from_sums: bool
) -> None:
    """The engine's per-bucket sums serve the analytic histogram statistics; a bootstrap
    needs the clients (the values are checked against the oracle above, both ways)."""
    from opwatch.engines import create_engine
    from opwatch.pipeline.statistics_day import DayStatistics
    from opwatch.pipeline.statistics_histograms import histograms_from_sums
    from opwatch.pipeline.statistics_rows import Rows

    project = load_project(demo_project_path())
    project = dataclasses.replace(project, statistics=StatisticsSettings(interval_method=method))
    engine = create_engine(settings_for(telemetry, tmp_path / "results"))
    try:
        rows = Rows(("branch",))
        computation = DayStatistics(engine, project, days(telemetry)[0], ("branch",), rows)
        assert histograms_from_sums(computation) is from_sums
    finally:
        engine.close()
