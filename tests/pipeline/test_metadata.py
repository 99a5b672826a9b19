"""The configuration hash changes exactly when a project's results would."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.pipeline import open_runner
from opwatch.pipeline.metadata import config_hash
from opwatch.results import ResultsReader
from tests.conftest import CORPUS, days, settings_for


def test_the_hash_follows_what_changes_the_sql_and_nothing_else() -> None:
    project = load_project(demo_project_path())
    digest = config_hash(project)
    assert config_hash(load_project(demo_project_path())) == digest
    assert config_hash(replace(project, xaxis="build_id")) != digest
    assert config_hash(replace(project, experiment_slug="another-experiment")) != digest
    assert config_hash(replace(project, generation=1)) != digest
    assert config_hash(replace(project, source_files=())) == digest


def test_statistics_settings_and_layouts_are_part_of_the_hash() -> None:
    """They change the statistics, not the SQL: a changed interval method or bucket layout
    must still recompute the days written with the old one."""
    from opwatch.config.resolved import StatisticsSettings

    project = load_project(demo_project_path())
    digest = config_hash(project)
    analytic = StatisticsSettings(interval_method="analytic")
    assert config_hash(replace(project, statistics=analytic)) != digest
    assert config_hash(replace(project, statistics=StatisticsSettings())) == digest
    gc_ms = project.metric("gc_ms")
    assert gc_ms.buckets is not None
    other_layout = replace(gc_ms, buckets={**gc_ms.buckets, "bucket_count": 100})
    metrics = tuple(other_layout if m.name == "gc_ms" else m for m in project.metrics)
    assert config_hash(replace(project, metrics=metrics)) != digest


def test_a_changed_layer_recomputes_only_when_the_resolution_changes(tmp_path: Path) -> None:
    """Editing the defaults changes a desktop project's hash; editing a statistic the defaults
    replace whole (``uri_count``'s in ``opmon/definitions``) changes nothing it computes."""
    hub = tmp_path / "metric-hub"
    shutil.copytree(CORPUS / "metric-hub", hub)
    project_file = hub / "opmon" / "tcp-rollout.toml"
    digest = config_hash(load_project(project_file))

    rewrite(
        hub / "opmon" / "definitions" / "firefox_desktop.toml",
        "[metrics.uri_count.statistics]\n",
        "[metrics.uri_count.statistics]\ncount = {}\n",
    )
    assert config_hash(load_project(project_file)) == digest
    rewrite(
        hub / "opmon" / "defaults" / "firefox_desktop.toml",
        "[metrics.uri_count.statistics]\nmean = {}",
        "[metrics.uri_count.statistics]\nsum = {}",
    )
    assert config_hash(load_project(project_file)) != digest


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} has no {old!r}"
    path.write_text(text.replace(old, new))


def test_projects_v1_keeps_the_per_client_sql_that_computed_the_results(
    four_weeks: GeneratedData, four_weeks_results: Path, tmp_path: Path
) -> None:
    """Run again, the stored query counts the clients the scalar table holds for the days of
    the last batch; and a rerun with nothing due keeps a query (it does not blank it)."""
    results = tmp_path / "results"
    shutil.copytree(four_weeks_results, results)
    settings = settings_for(four_weeks, results)
    project = load_project(demo_project_path())
    with open_runner(settings) as runner:
        assert runner.run([project], days(four_weeks)).ok  # nothing due: all done before
        reader = ResultsReader(runner.engine.reads)
        sql = reader.clients_sql(project.slug)
        assert sql is not None
        connection = runner.engine.connection  # its views are the tables the query names
        per_day = dict(
            connection.execute(
                f"SELECT submission_date, COUNT(*) FROM ({sql}) GROUP BY 1"
            ).fetchall()
        )
        stored = dict(
            runner.engine.reads.read(
                "SELECT submission_date, COUNT(DISTINCT client_id || branch) "
                "FROM opwatch_demo_scalar GROUP BY 1"
            )
        )
    assert per_day and set(per_day) <= set(stored)
    assert all(stored[day] == count for day, count in per_day.items())
