"""The query layer over small hand-made results: what it derives from the tables."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from opwatch.config import load_project
from opwatch.config.resolved import result_table
from opwatch.config.settings import EngineSettings, Settings
from opwatch.demo import demo_project_path
from opwatch.engines.duckdb import DuckDBEngine
from opwatch.engines.storage import SERVING_ROWS, ResultStore
from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE, project_row
from opwatch.pipeline.serving import publish_serving
from opwatch.pipeline.statistics_rows import Rows
from opwatch.results import ResultsReader, StatisticsFilter
from opwatch.results.models import InvalidQueryError
from opwatch.stats.intervals import Estimates

SLUG = "hand-made"
DAYS = tuple(date(2026, 10, 1) + timedelta(days=i) for i in range(3))


def statistics(reference: str | None) -> pa.Table:
    """Mean rows of one metric for control and treatment on Linux and Windows (Windows twice
    as often), and, if ``reference``, the other branch's differences to it."""
    rows = []
    for day in DAYS:
        for os, copies in (("Linux", 1), ("Windows", 2)):
            for copy in range(copies):
                for branch in ("control", "treatment"):
                    rows.append((day, os, branch, f"m{copy}", None, 1.0))
                    if reference is not None and branch != reference:
                        rows.append((day, os, branch, f"m{copy}", "difference", 0.5))
    names = ["submission_date", "os", "branch", "metric", "comparison", "point"]
    table = pa.table(dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)))
    return (
        table.append_column("statistic", pa.array(["mean"] * table.num_rows))
        .append_column("parameter", pa.nulls(table.num_rows, pa.string()))
        .append_column("build_id", pa.nulls(table.num_rows, pa.string()))
        .append_column("lower", table.column("point"))
        .append_column("upper", table.column("point"))
    )


def reader_over(folder: Path, reference: str | None, served: bool = False) -> ResultsReader:
    """A reader of a project ``SLUG`` (the demo's config, renamed) with hand-made statistics
    (``served``: and their serving copy, as a run publishes it)."""
    engine = DuckDBEngine(Settings(engine=EngineSettings(results=folder)))
    project = dataclasses.replace(load_project(demo_project_path()), slug=SLUG, name="Hand made")
    engine.results.replace_table(PROJECTS_TABLE, [project_row(project)], "slug", PROJECTS_COLUMNS)
    engine.results.write_rows(result_table(SLUG, "statistics"), statistics(reference), DAYS)
    if served:
        publish_serving(engine, project)
    return ResultsReader(engine.reads)


@pytest.mark.parametrize("reference", ["control", "treatment", None])
def test_the_reference_branch_is_read_from_the_comparisons(
    tmp_path: Path, reference: str | None
) -> None:
    reader = reader_over(tmp_path, reference)
    assert reader.project(SLUG).reference_branch == reference


def test_dimension_values_come_most_common_first(tmp_path: Path) -> None:
    [os] = reader_over(tmp_path, "control").project(SLUG).dimensions
    assert os.values == ("Windows", "Linux") and os.default == "Windows"


def test_statistics_are_filtered_and_ordered(tmp_path: Path) -> None:
    reader = reader_over(tmp_path, "control")
    wanted = StatisticsFilter({"metric": "m1", "os": "Windows"})
    rows = reader.statistics(SLUG, wanted)
    assert [(r["branch"], r["xaxis_value"]) for r in rows] == [
        (branch, day.isoformat()) for branch in ("control", "treatment") for day in DAYS
    ]
    assert all(r["comparison"] is None and r["os"] == "Windows" for r in rows)
    compared = reader.statistics(SLUG, StatisticsFilter({"metric": "m1"}, comparisons=True))
    assert {r["comparison"] for r in compared} == {None, "difference"}
    assert len(compared) == 2 * len(DAYS) + len(DAYS)


def test_an_unknown_filter_names_the_columns_there_are(tmp_path: Path) -> None:
    reader = reader_over(tmp_path, "control")
    with pytest.raises(InvalidQueryError, match="no column country; filter by branch"):
        reader.statistics(SLUG, StatisticsFilter({"metric": "m0", "country": "DE"}))


FILTERS = [
    {"metric": "m1", "os": "Windows"},
    {"metric": "m0", "statistic": "mean"},
    {"metric": "m0", "statistic": "mean", "branch": "treatment", "os": "Linux"},
    {"metric": "m1", "statistic": "percentile"},  # no such series
    {"metric": "nope", "statistic": "mean"},
]


def test_a_serving_copy_answers_as_the_partitions_do(tmp_path: Path) -> None:
    files = reader_over(tmp_path / "files", "control")
    served = reader_over(tmp_path / "served", "control", served=True)
    assert served.reads.serving_facts(result_table(SLUG, "statistics")) is not None
    assert served.project(SLUG) == dataclasses.replace(
        files.project(SLUG), summary=served.project(SLUG).summary
    )
    assert served.project(SLUG).summary.last_day == files.project(SLUG).summary.last_day
    for equals in FILTERS:
        for comparisons in (False, True):
            wanted = StatisticsFilter(equals, comparisons=comparisons)
            assert served.statistics(SLUG, wanted) == files.statistics(SLUG, wanted), equals
    assert served.statistics(SLUG, StatisticsFilter(FILTERS[1]))  # not all empty


def test_a_stale_serving_copy_is_not_read(tmp_path: Path) -> None:
    reader = reader_over(tmp_path, "control", served=True)
    wanted = StatisticsFilter({"metric": "m0", "statistic": "mean", "os": "Linux"})
    assert {r["point"] for r in reader.statistics(SLUG, wanted)} == {1.0}
    engine = DuckDBEngine(Settings(engine=EngineSettings(results=tmp_path)))
    changed = statistics("control")
    changed = changed.set_column(
        changed.schema.get_field_index("point"), "point", pa.array([2.0] * changed.num_rows)
    )
    engine.results.write_rows(result_table(SLUG, "statistics"), changed, DAYS)
    assert reader.reads.serving_facts(result_table(SLUG, "statistics")) is None
    assert {r["point"] for r in reader.statistics(SLUG, wanted)} == {2.0}


def percentile_statistics() -> pa.Table:
    """Percentiles 1 … 99 and 99.9 of one metric per day, os and branch (point p + day + 0.25,
    exact in 4 bytes; bounds ± 1), stored as a run stores them: the configured percentiles as
    rows — 50 and 99.9 the first day, 37 and 99.9 after (the config changed) —, the rest
    packed; and the configured ones' differences to control."""
    rows = Rows(("submission_date", "build_id", "os", "branch"))
    names = [*(str(p) for p in range(1, 100)), "99.9"]
    for index, day in enumerate(DAYS):
        configured = frozenset({"50" if index == 0 else "37", "99.9"})
        for os in ("Linux", "Windows"):
            for branch in ("control", "treatment"):
                points = np.asarray([float(p) + index + 0.25 for p in names])
                values = Estimates(names, points, points - 1, points + 1)
                rows.add((day, None, os, branch), ("m0", "percentile"), values, rows_of=configured)
                if branch == "treatment":
                    own = values.take(np.asarray([names.index(p) for p in sorted(configured)]))
                    difference = Estimates(own.parameters, own.points * 0, own.lower, own.upper)
                    rows.add(
                        (day, None, os, branch), ("m0", "percentile"), difference, "difference"
                    )
    return rows.table()


def packed_reader(folder: Path, served: bool) -> ResultsReader:
    """A reader of :func:`percentile_statistics` beside the means of :func:`statistics`."""
    reader = reader_over(folder, "control")
    engine = DuckDBEngine(Settings(engine=EngineSettings(results=folder)))
    both = pa.concat_tables(
        [percentile_statistics(), statistics("control")], promote_options="default"
    )
    engine.results.write_rows(result_table(SLUG, "statistics"), both, DAYS)
    if served:
        project = dataclasses.replace(load_project(demo_project_path()), slug=SLUG)
        publish_serving(engine, project)
    return reader


@pytest.mark.parametrize("served", [False, True])
def test_packed_percentiles_are_read_as_rows(tmp_path: Path, served: bool) -> None:
    reader = packed_reader(tmp_path, served)
    for percentile in ("1", "37", "50", "64", "99", "99.9"):
        wanted = StatisticsFilter({"metric": "m0", "statistic": "percentile", "os": "Linux"})
        wanted.equals["parameter"] = percentile
        rows = reader.statistics(SLUG, wanted)
        assert [(r["branch"], r["xaxis_value"]) for r in rows] == [
            (branch, day.isoformat()) for branch in ("control", "treatment") for day in DAYS
        ], percentile
        for row in rows:
            day = DAYS.index(date.fromisoformat(row["xaxis_value"]))
            point = float(percentile) + day + 0.25
            assert (row["point"], row["lower"], row["upper"]) == (point, point - 1, point + 1)
            assert row["parameter"] == percentile and row["comparison"] is None
    everything = reader.statistics(
        SLUG, StatisticsFilter({"metric": "m0", "statistic": "percentile"})
    )
    assert len(everything) == 100 * len(DAYS) * 2 * 2  # every percentile, day, os and branch
    assert len({(r["parameter"], r["xaxis_value"], r["os"], r["branch"]) for r in everything}) == (
        len(everything)
    )
    assert [r["parameter"] for r in everything] == sorted(r["parameter"] for r in everything)
    if served:  # the copy holds the packed percentiles as rows, and no list
        copy = ResultStore(tmp_path).serving_file(result_table(SLUG, "statistics"))
        with duckdb.connect(str(copy), read_only=True) as database:
            counts = database.execute(
                f"""SELECT count(*) FILTER (parameter = '*' OR points IS NOT NULL),
                    count(*) FILTER (statistic = 'percentile' AND comparison IS NULL)
                FROM {SERVING_ROWS}"""
            ).fetchall()
        assert counts == [(0, len(everything))]


@pytest.mark.parametrize("served", [False, True])
def test_reads_that_cannot_select_packed_percentiles_do_not_expand_them(
    tmp_path: Path, served: bool
) -> None:
    reader = packed_reader(tmp_path, served)
    compared = reader.statistics(
        SLUG,
        StatisticsFilter(
            {"metric": "m0", "statistic": "percentile", "comparison": "difference"},
            comparisons=True,
        ),
    )
    assert {(r["parameter"], r["xaxis_value"]) for r in compared} == {
        (p, day.isoformat()) for day in DAYS for p in ("99.9", "50" if day == DAYS[0] else "37")
    }
    for parameter in ("0", "100", "07", "²", "*", "12.5"):
        wanted = StatisticsFilter({"metric": "m0", "parameter": parameter})
        assert reader.statistics(SLUG, wanted) == [], parameter
    means = reader.statistics(SLUG, StatisticsFilter({"metric": "m0", "statistic": "mean"}))
    assert {r["statistic"] for r in means} == {"mean"} and len(means) == 2 * 2 * len(DAYS)
