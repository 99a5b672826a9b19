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
