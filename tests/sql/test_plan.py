"""The run plan: which days a run reads and writes, and one column per metric aggregation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.errors import ConfigError, RenderError
from opwatch.sql.plan import aggregation_name, plan_run
from tests.conftest import CORPUS


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("COALESCE(SUM(x), 0)", "SUM"),
        ("MAX(x)", "MAX"),
        ("CAST(AVG(x) AS FLOAT64)", "AVG"),
        ("COUNTIF(x > 1)", "COUNTIF"),
        ("COUNT(DISTINCT x)", "COUNT"),
        ("LOGICAL_OR(x)", "LOGICAL_OR"),
        ("SAFE_DIVIDE(SUM(a), SUM(b))", "EXPRESSION"),
        ("IF(SUM(x) > 0, 1, 0)", "EXPRESSION"),
    ],
)
def test_aggregation_name_looks_through_wrappers_only(expression: str, expected: str) -> None:
    assert aggregation_name(expression) == expected


def test_submission_date_run_reads_exactly_its_days() -> None:
    project = load_project(demo_project_path())
    plan = plan_run(project, [date(2026, 10, 3), date(2026, 10, 1), date(2026, 10, 2)])
    assert plan.run_dates == (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3))
    assert (plan.read_start, plan.read_end) == (date(2026, 10, 1), date(2026, 10, 3))
    assert not plan.by_build


def test_build_id_run_reads_fourteen_days_back() -> None:
    project = replace(load_project(demo_project_path()), xaxis="build_id")
    plan = plan_run(project, [date(2026, 10, 20)])
    assert (plan.read_start, plan.read_end) == (date(2026, 10, 6), date(2026, 10, 20))
    assert plan.build_floor == date(2026, 10, 6)
    with pytest.raises(RenderError, match="one date at a time"):
        plan_run(project, [date(2026, 10, 20), date(2026, 10, 21)])


def test_run_dates_must_be_consecutive() -> None:
    project = load_project(demo_project_path())
    with pytest.raises(RenderError, match="consecutive"):
        plan_run(project, [date(2026, 10, 1), date(2026, 10, 3)])


def test_columns_are_grouped_by_data_source_and_numbered_once() -> None:
    project = load_project(demo_project_path())
    plan = plan_run(project, [date(2026, 10, 1)])
    assert [s.source.name for s in plan.sources] == ["main", "crash"]
    columns = [c.column for c in plan.columns]
    assert columns == [f"_metric_{n}" for n in range(len(columns))]
    assert {c.metric for c in plan.histogram_columns} == {"gc_ms", "gc_max_pause_ms_2"}
    assert {c.metric: c.agg_type for c in plan.scalar_columns} == {
        "uri_count": "SUM",
        "active_ticks": "SUM",
        "main_crashes": "COUNTIF",
        "crash_rate": "COUNT",
    }


def test_generation_one_probes_get_a_sum_and_a_max_and_histograms_are_collected() -> None:
    path = CORPUS / "opmon-config-2022/bug-1751039-pref-win32k-experiment-nightly-99-99.toml"
    plan = plan_run(load_project(path), [date(2022, 3, 1)])
    crashes = [c for c in plan.columns if c.metric == "main_crashes"]
    assert [(c.agg_type, c.kind) for c in crashes] == [("SUM", "per_ping"), ("MAX", "per_ping")]
    assert crashes[0].expression.startswith("IF(")
    histogram = next(c for c in plan.columns if c.histogram)
    assert (histogram.kind, histogram.expression) == (
        "histogram_json",
        "payload.histograms.content_process_count",
    )


def test_histograms_collected_per_ping_are_recognized_others_kept_whole() -> None:
    plan = plan_run(load_project(demo_project_path()), [date(2026, 10, 1)])
    columns = {column.metric: column for column in plan.histogram_columns}
    for name in ("gc_ms", "gc_max_pause_ms_2"):
        assert (columns[name].kind, columns[name].expression) == (
            "histogram_per_ping",
            f"mozfun.hist.extract(payload.histograms.{name})",
        )


def test_a_dimension_named_like_a_result_column_is_refused_where_it_is_written(
    config_tree: Callable[[str], Path],
) -> None:
    path = config_tree(
        """
        [project]
        metrics = ["uri_count"]
        [project.population]
        data_source = "main"
        dimensions = ["branch"]
        [metrics.uri_count.statistics]
        mean = {}
        [dimensions.branch]
        data_source = "main"
        select_expression = "normalized_os"
        """
    )
    with pytest.raises(ConfigError) as raised:
        load_project(path)
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.line == 6 and "result tables" in diagnostic.message
    project = load_project(demo_project_path())
    clashing = replace(project, population=replace(project.population, dimensions=("value",)))
    with pytest.raises(RenderError, match="dimension 'value'"):
        plan_run(clashing, [date(2026, 1, 1)])
