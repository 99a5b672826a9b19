"""``opwatch detect`` over the demo project: the planted GC regression is found on every
platform of the regressing branch and nowhere in the control branch; the detections table is
replaced, not appended to; platforms and per-metric settings are honoured."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.config import Project, load_project
from opwatch.config.resolved import Monitor
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.errors import DetectionError
from opwatch.pipeline import open_runner
from opwatch.pipeline.detection import DetectionStep, DetectionSummary, read_series
from tests.conftest import FOUR_WEEKS, days, settings_for

SPEC = FOUR_WEEKS


@pytest.fixture(scope="module")
def results(four_weeks_results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the four weeks' results: these tests rewrite its detections."""
    folder = tmp_path_factory.mktemp("detect") / "results"
    shutil.copytree(four_weeks_results, folder)
    return folder


def detect_demo(
    data: GeneratedData,
    results: Path,
    project: Project | None = None,
    platforms: list[str] | None = None,
    technique: str | None = None,
) -> DetectionSummary:
    engine = create_engine(settings_for(data, results))
    try:
        step = DetectionStep(engine, platforms=platforms, technique=technique)
        return step.run(project or load_project(demo_project_path()))
    finally:
        engine.close()


def detections(results: Path) -> list[tuple[object, ...]]:
    file = results / "tables" / "opwatch_demo_detections" / "data.parquet"
    return duckdb.sql(f"SELECT * FROM '{file}' ORDER BY ALL").fetchall()


def shifts(summary: DetectionSummary, metric: str, statistic: str) -> list[tuple[str, ...]]:
    return [
        (series.key.branch, str(series.key.dimensions[0]), series.xs[c.index], c.classification)
        for series, c in summary.changes
        if c.kind == "shift" and (series.key.metric, series.key.statistic) == (metric, statistic)
    ]


def test_the_planted_regression_is_found_on_every_platform(
    four_weeks: GeneratedData, results: Path
) -> None:
    summary = detect_demo(four_weeks, results)
    start = SPEC.regression_start
    near = {(start + timedelta(days=d)).isoformat() for d in (-1, 0, 1)}
    for statistic in ("histogram", "percentile"):
        found = shifts(summary, "gc_ms", statistic)
        platforms = {os for branch, os, day, what in found if day in near}
        assert platforms == {"Windows", "Linux", "Mac"}, found
        assert all(
            branch == "treatment" and what == "regression"
            for branch, _, day, what in found
            if day in near
        )
        assert not [f for f in found if f[0] == "control"]


def test_the_table_holds_the_changes_and_a_rerun_replaces_it(
    four_weeks: GeneratedData, results: Path
) -> None:
    first = detect_demo(four_weeks, results)
    rows = detections(results)
    assert len(rows) == len(first.changes) > 0
    detect_demo(four_weeks, results)
    assert detections(results) == rows


def test_only_the_platforms_asked_for_are_searched(
    four_weeks: GeneratedData, results: Path
) -> None:
    everything = detect_demo(four_weeks, results, platforms=["All"])
    linux = detect_demo(four_weeks, results, platforms=["Linux"])
    assert linux.series * 3 == everything.series and linux.skipped == 2 * linux.series
    assert {series.key.dimensions[0] for series, _ in linux.changes} == {"Linux"}
    assert {row[6] for row in detections(results)} == {"Linux"}  # the os column


def test_a_metrics_technique_and_arguments_are_used_and_checked(
    four_weeks: GeneratedData, results: Path
) -> None:
    project = load_project(demo_project_path())
    gc = dataclasses.replace(project.metric("gc_ms"), monitor=Monitor(technique="cdf_squared"))
    swapped = dataclasses.replace(project, metrics=(gc, *project.metrics[1:]))
    summary = detect_demo(four_weeks, results, swapped)
    techniques = {c.technique for s, c in summary.changes if s.key.metric == "gc_ms"}
    assert techniques == {"cdf_squared"}
    tuned = dataclasses.replace(gc, monitor=Monitor(args={"false_alarm_rate": 0.01}))
    overridden = detect_demo(
        four_weeks,
        results,
        dataclasses.replace(project, metrics=(tuned, *project.metrics[1:])),
        technique="window_ttest",  # binseg's argument is dropped, not refused
    )
    assert {c.technique for _, c in overridden.changes} <= {"window_ttest"}
    wrong = dataclasses.replace(gc, monitor=Monitor(args={"false_alarm_rat": 0.1}))
    broken = dataclasses.replace(project, metrics=(wrong, *project.metrics[1:]))
    with pytest.raises(DetectionError, match=r"metrics\.gc_ms\.monitor: .*false_alarm_rat"):
        detect_demo(four_weeks, results, broken)


def test_a_project_without_statistics_is_refused(four_weeks: GeneratedData, tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="no statistics yet"):
        detect_demo(four_weeks, tmp_path / "results")


def test_a_build_id_project_is_searched_over_builds(
    four_weeks: GeneratedData, tmp_path: Path
) -> None:
    demo = load_project(demo_project_path())
    nightly = dataclasses.replace(demo.population, channel="nightly")  # a build a day
    project = dataclasses.replace(demo, xaxis="build_id", population=nightly)
    with open_runner(settings_for(four_weeks, tmp_path)) as runner:
        assert runner.run([project], days(four_weeks)[-2:]).ok
    assert detect_demo(four_weeks, tmp_path, project).series > 0
    engine = create_engine(settings_for(four_weeks, tmp_path))
    try:
        series = list(read_series(engine, project))
    finally:
        engine.close()
    builds = {x for s in series for x in s.xs}
    floor = (SPEC.end_date - timedelta(days=14)).strftime("%Y%m%d")
    assert len(builds) >= 10 and all(len(x) == 8 and floor <= x for x in builds)
    assert all(s.xs == sorted(s.xs) and len(s.values) == len(s.xs) for s in series)
