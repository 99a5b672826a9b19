"""opwatch's result tables equal an independent computation over the same generated data.

The oracle reads the generated Parquet files with pyarrow, parses histogram JSON with Python's
json module and aggregates with pandas, following OpMon's definitions (reference/opmon.md):
the population is every (day, client, build, dimension values, branch) of the population data
source, each metric is aggregated over the client's rows of that day in its own data source,
clients without rows get NULL, and histograms are summed per bucket then divided by their
total. Scalars must be equal exactly; normalized histograms to 1e-12.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.pipeline import open_runner
from tests.conftest import days, settings_for, table_rows

SLUG = "opwatch-demo"
BRANCHES = ("control", "treatment")
HISTOGRAM_METRICS = ("gc_ms", "gc_max_pause_ms_2")
"""The demo project's histogram metrics, each the column of the same name."""


def read(data: GeneratedData, table: str) -> pd.DataFrame:
    """Every row of a generated table, nested fields as Python dicts and lists."""
    files = sorted(Path(data.tables[table].removesuffix("*.parquet")).glob("*.parquet"))
    return pd.DataFrame([row for path in files for row in pq.read_table(path).to_pylist()])


def branch_of(experiments: list[dict[str, Any]] | None) -> str | None:
    for entry in experiments or []:
        if entry["key"] == SLUG:
            return str(entry["value"]["branch"])
    return None


def population(main: pd.DataFrame, period: list[date]) -> pd.DataFrame:
    """OpMon's population: release-channel rows of the enrolled branches, one per key."""
    frame = pd.DataFrame(
        {
            "submission_date": [ts.date() for ts in main["submission_timestamp"]],
            "client_id": main["client_id"],
            "os": main["normalized_os"],
            "branch": [branch_of(env["experiments"]) for env in main["environment"]],
            "channel": main["normalized_channel"],
        }
    )
    frame = frame[
        (frame["channel"] == "release")
        & frame["branch"].isin(BRANCHES)
        & frame["submission_date"].isin(period)
    ]
    counts = frame.groupby(["submission_date", "client_id", "os", "branch"]).size()
    return counts[counts <= 10_000].reset_index()[["submission_date", "client_id", "os", "branch"]]


def per_client_day(frame: pd.DataFrame, values: pd.Series, how: str) -> pd.Series:
    """``values`` aggregated per (day, client) with pandas ``how`` (NaN-skipping)."""
    keys = pd.DataFrame(
        {
            "submission_date": [ts.date() for ts in frame["submission_timestamp"]],
            "client_id": frame["client_id"],
            "value": values,
        }
    )
    grouped = keys.groupby(["submission_date", "client_id"])["value"]
    return grouped.sum(min_count=0) if how == "coalesce_sum" else grouped.agg(how)


def normalized(histograms: list[object]) -> list[tuple[int, float]] | None:
    """Histograms (JSON) summed per bucket, divided by the total; None without data."""
    sums: dict[int, int] = {}
    for text in histograms:
        if not isinstance(text, str):  # a ping without the histogram (pandas makes it NaN)
            continue
        for key, count in json.loads(text)["values"].items():
            sums[int(key)] = sums.get(int(key), 0) + count
    total = sum(sums.values())
    return [(key, sums[key] / total) for key in sorted(sums)] if total else None


def expected_tables(data: GeneratedData, period: list[date]) -> tuple[set[Any], dict[Any, Any]]:
    """The demo project's scalar rows and normalized histograms, computed independently."""
    main, crash = read(data, "mozdata.telemetry.main"), read(data, "mozdata.telemetry.crash")
    keys = population(main, period)
    scalars = main["payload"].map(lambda p: p["processes"]["parent"]["scalars"])
    uri = scalars.map(lambda s: s["browser_engagement_total_uri_count"])
    ticks = main["payload"].map(lambda p: p["simple_measurements"]["active_ticks"])
    process = crash["payload"].map(lambda p: p["process_type"])
    metrics = {
        # {{agg_sum(x)}} is COALESCE(SUM(x), 0): a client with pings has a number, even 0
        ("uri_count", "SUM"): per_client_day(main, uri, "coalesce_sum"),
        ("active_ticks", "SUM"): per_client_day(main, ticks, "coalesce_sum"),
        ("main_crashes", "COUNTIF"): per_client_day(
            crash, process.map(lambda p: p in ("main", None)).astype(int), "sum"
        ),
        ("crash_rate", "COUNT"): per_client_day(crash, process.map(lambda _: 1), "sum"),
    }
    rows = set()
    for key in keys.itertuples(index=False):
        for (name, agg_type), series in metrics.items():
            value = series.get((key.submission_date, key.client_id))
            value = None if value is None or math.isnan(value) else float(value)
            rows.add(
                (
                    key.submission_date,
                    key.client_id,
                    key.branch,
                    None,
                    key.os,
                    name,
                    agg_type,
                    value,
                )
            )
    histograms = {}
    for metric in HISTOGRAM_METRICS:
        texts = main["payload"].map(lambda p, m=metric: p["histograms"][m])
        by_day = (
            pd.DataFrame(
                {
                    "submission_date": [ts.date() for ts in main["submission_timestamp"]],
                    "client_id": main["client_id"],
                    "texts": texts,
                }
            )
            .groupby(["submission_date", "client_id"])["texts"]
            .agg(list)
        )
        for k in keys.itertuples(index=False):
            histograms[(k.submission_date, k.client_id, k.branch, k.os, metric)] = normalized(
                by_day.get((k.submission_date, k.client_id), [])
            )
    return rows, histograms


@pytest.fixture(scope="module")
def computed(telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("oracle") / "results"
    with open_runner(settings_for(telemetry, results, batch_days=3)) as runner:
        assert runner.run([load_project(demo_project_path())], days(telemetry)).ok
    return results


def test_scalar_table_equals_the_independent_computation_exactly(
    telemetry: GeneratedData, computed: Path
) -> None:
    expected, _ = expected_tables(telemetry, days(telemetry))
    actual = set(table_rows(computed, "opwatch_demo_scalar"))
    assert len(expected) > 1000
    assert actual == expected
    assert any(row[-1] is None for row in expected) and any(row[-1] == 0.0 for row in expected)


def test_histogram_table_equals_the_independent_computation(
    telemetry: GeneratedData, computed: Path
) -> None:
    _, expected = expected_tables(telemetry, days(telemetry))
    rows = table_rows(computed, "opwatch_demo_histogram")
    actual = {(r[0], r[1], r[2], r[4], r[5]): r[6] for r in rows}
    assert actual.keys() == expected.keys() and len(rows) == len(expected)
    several = 0
    for key, histogram in expected.items():
        got = actual[key]
        if histogram is None:
            assert got is None, key
            continue
        assert [entry["key"] for entry in got] == [bucket for bucket, _ in histogram], key
        for entry, (_, value) in zip(got, histogram, strict=True):
            assert abs(entry["value"] - value) <= 1e-12, key
        several += len(histogram) > 1
    assert several > 100, "too few multi-bucket histograms to test the normalization"


def test_the_oracle_sees_what_the_etl_sees(telemetry: GeneratedData) -> None:
    """Guard against an oracle that agrees by being empty or degenerate."""
    rows, histograms = expected_tables(telemetry, days(telemetry))
    assert {row[2] for row in rows} == set(BRANCHES)
    assert len({row[4] for row in rows}) >= 3
    assert sum(h is not None for h in histograms.values()) > 0.5 * len(histograms)
    assert isinstance(next(iter(rows))[0], date) and not isinstance(next(iter(rows))[0], datetime)
