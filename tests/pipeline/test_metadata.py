"""The configuration hash changes exactly when a project's results would."""

from __future__ import annotations

from dataclasses import replace

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.pipeline.metadata import config_hash


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
