"""The generated data: deterministic, shaped as the field sends it, with its planted effects."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.demo.telemetry import DemoSpec, GeneratedData, PlantedEffects, generate
from opwatch.demo.telemetry.buckets import Layout, functional_keys
from opwatch.demo.telemetry.desktop_probes import (
    HISTOGRAMS,
    PARENT,
    HistogramProbe,
    probes_named_in,
)
from opwatch.demo.telemetry.glean_probes import (
    FENIX_DISTRIBUTIONS,
    MEMORY,
    TIMING,
    GleanDistribution,
)
from opwatch.demo.telemetry.render import macro, statements
from opwatch.demo.telemetry.tables import TABLE_NAMES, selected_tables, tables_named
from tests.demo.conftest import rows

SMALL = DemoSpec(clients=200, days=3)


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


def test_same_spec_writes_identical_files(tmp_path: Path) -> None:
    first = generate(SMALL, tmp_path / "first")
    second = generate(SMALL, tmp_path / "second")
    assert len(digests(first.folder)) == len(TABLE_NAMES) * SMALL.days
    assert digests(first.folder) == digests(second.folder)
    assert first.rows == second.rows and all(first.rows.values())


def test_another_seed_writes_other_data(tmp_path: Path) -> None:
    spec = DemoSpec(clients=200, days=1, tables=frozenset({"main"}))
    one = generate(spec, tmp_path / "one")
    other = generate(DemoSpec(clients=200, days=1, seed=2, tables=spec.tables), tmp_path / "two")
    assert digests(one.folder) != digests(other.folder)


def test_tables_map_config_names_to_files(tmp_path: Path) -> None:
    data = generate(DemoSpec(clients=50, days=2, tables=frozenset({"crash"})), tmp_path)
    assert set(data.rows) == {"crash"}
    assert data.tables["mozdata.telemetry.crash"] == str(tmp_path / "crash" / "*.parquet")
    assert sorted(p.name for p in (tmp_path / "crash").iterdir()) == [
        f"{day.isoformat()}.parquet" for day in (data.start_date, data.end_date)
    ]


def test_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo table 'mian'"):
        selected_tables(frozenset({"mian"}))


def test_config_table_names_select_the_files_behind_them() -> None:
    """Either project's name and the dataset-only one map to a table; one name the generator
    does not write means all are generated."""
    assert tables_named(
        [
            "moz-fx-data-shared-prod.telemetry_stable.main_v5",
            "telemetry.crash",
            "mozdata.telemetry.main_1pct",
        ]
    ) == frozenset({"main", "crash"})
    assert tables_named(["mozdata.fenix.baseline"]) == frozenset({"fenix_baseline"})
    assert tables_named(["mozdata.telemetry.main", "mozdata.telemetry.not_generated"]) is None
    assert tables_named([]) == frozenset()


def test_probes_named_in_sql_are_whole_words_of_the_catalog() -> None:
    sql = (
        "SUM(payload.processes.parent.scalars.browser_engagement_total_uri_count), "
        "mozfun.hist.extract(payload.histograms.gc_ms), payload.histograms.gc_ms_content_x"
    )
    assert probes_named_in(sql) == (("gc_ms",), ("browser_engagement_total_uri_count",))
    assert probes_named_in("COUNT(*)") == ((), ())


def test_leaving_probes_out_changes_none_of_those_generated(tmp_path: Path) -> None:
    """Each probe is drawn from hashes of its own name: the demo generates only what its
    projects read, and those columns are what the whole catalog would have given them."""
    whole = generate(DemoSpec(clients=80, days=2, tables=frozenset({"main"})), tmp_path / "all")
    spec = DemoSpec(
        clients=80,
        days=2,
        tables=frozenset({"main"}),
        main_histograms=("gc_ms",),
        main_scalars=("browser_engagement_unique_domains_count",),
    )
    some = generate(spec, tmp_path / "some")
    columns = (
        "client_id, submission_timestamp, payload.histograms.gc_ms, "
        "payload.processes.content.histograms.gc_ms AS content_gc_ms, "
        "payload.processes.parent.scalars.browser_engagement_unique_domains_count AS domains"
    )

    def read(data: GeneratedData) -> list[tuple[object, ...]]:
        path = Path(data.folder) / "main" / "*.parquet"
        return duckdb.sql(f"SELECT {columns} FROM '{path}' ORDER BY ALL").fetchall()

    assert read(some) == read(whole) and len(read(whole)) > 80
    assert any(row[2] is not None for row in read(whole))


def test_restricted_probes_are_the_only_columns(tmp_path: Path) -> None:
    histograms, scalars = ("gc_ms", "not_in_catalog"), ("browser_engagement_active_ticks",)
    spec = DemoSpec(
        50, 1, tables=frozenset({"main"}), main_histograms=histograms, main_scalars=scalars
    )
    data = generate(spec, tmp_path)
    ((payload,),) = rows(data, "SELECT typeof(payload) FROM {main} LIMIT 1")
    assert "not_in_catalog VARCHAR" in str(payload) and "memory_total" not in str(payload)
    assert "tab_open_event_count" not in str(payload)


@pytest.mark.parametrize("layout", sorted({p.layout for p in HISTOGRAMS}, key=repr), ids=repr)
def test_sql_bucket_lookup_matches_the_layout(layout: Layout) -> None:
    samples = sorted({v for b in layout.bounds for v in (b - 1, b, b + 1) if v >= 0} | {10**12})
    lookup = macro("_draw.sql.j2", "grid_bucket")(layout.grid, "v")
    connection = duckdb.connect()
    for statement in statements("macros.sql"):
        connection.execute(statement)
    found = connection.execute(f"SELECT v, {lookup} FROM unnest(?::BIGINT[]) AS t(v)", [samples])
    assert {v: bucket for v, bucket in found.fetchall()} == {
        v: layout.bucket_of(v) for v in samples
    }


def histogram_column(process: str, name: str) -> str:
    """Where a legacy histogram of ``process`` is in the main ping."""
    if process == PARENT:
        return f"payload.histograms.{name}"
    return f"payload.processes.{process}.histograms.{name}"


@pytest.mark.parametrize("probe", HISTOGRAMS, ids=lambda probe: probe.name)
def test_histograms_use_their_layouts(probe: HistogramProbe, corpus_data: GeneratedData) -> None:
    day = f"submission_timestamp::DATE = '{corpus_data.end_date}'"
    for process in probe.processes:
        query = f"SELECT {histogram_column(process, probe.name)} FROM {{main}} WHERE {day}"
        values = rows(corpus_data, query)
        parsed = [json.loads(str(v)) for (v,) in values if v is not None]
        assert len(parsed) > 0.5 * probe.presence * len(values)
        for histogram in parsed:
            assert histogram["bucket_count"] == probe.layout.bucket_count
            assert histogram["histogram_type"] == probe.layout.histogram_type
            assert histogram["range"] == [probe.layout.low, probe.layout.high]
            assert {int(key) for key in histogram["values"]} <= set(probe.layout.bounds)
            assert sum(histogram["values"].values()) >= 1


@pytest.mark.parametrize("metric", FENIX_DISTRIBUTIONS, ids=lambda metric: metric.name)
def test_glean_distributions_use_their_buckets(
    metric: GleanDistribution, corpus_data: GeneratedData
) -> None:
    column = f"metrics.{metric.metric_type}.{metric.name}"
    query = f"SELECT DISTINCT CAST(unnest({column}.values).key AS BIGINT) FROM {{fenix_metrics}}"
    keys = {int(str(key)) for (key,) in rows(corpus_data, query)}
    assert keys
    if metric.metric_type in (TIMING, MEMORY):
        assert keys <= functional_keys(metric.per_power_of_2, max(keys))
    else:
        assert metric.layout is not None and keys <= set(metric.layout.bounds)
    counted = f"list_sum(list_transform({column}.values, lambda e: e.value))"
    mismatched = f"SELECT count(*) FROM {{fenix_metrics}} WHERE {counted} <> {column}.count"
    assert rows(corpus_data, mismatched) == [(0,)]


def test_progress_is_reported_per_table_and_day(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    spec = DemoSpec(20, 2, tables=frozenset({"main", "fenix_baseline"}))
    generate(spec, tmp_path, lambda table, done, total: calls.append((table, done, total)))
    assert calls == [
        ("main", 1, 2), ("fenix_baseline", 1, 2), ("main", 2, 2), ("fenix_baseline", 2, 2),
    ]  # fmt: skip


def test_spec_dates_and_defaults() -> None:
    spec = DemoSpec(days=28)
    assert spec.start_date == spec.end_date - timedelta(days=27)
    assert spec.regression_start == spec.start_date + timedelta(days=18)
    assert spec.build_shift_from == spec.start_date + timedelta(days=14)
    assert DemoSpec(effects=PlantedEffects(build_shift_from="20261020")).build_shift_from == date(
        2026, 10, 20
    )
    with pytest.raises(ValueError, match="at least one client"):
        DemoSpec(clients=0)
