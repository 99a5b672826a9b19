"""Experiment metadata (Experimenter v6) fills what a config leaves unset, never more."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from opwatch.config import Settings, load_experiments, load_project
from opwatch.config.experiments import ExperimentCatalog, ExperimentMetadataError
from opwatch.errors import ConfigError

EXPERIMENT = {
    "schemaVersion": "1.12.0",
    "slug": "my-project",
    "id": "my-project",
    "appName": "firefox_desktop",
    "appId": "firefox-desktop",
    "channel": "nightly",
    "userFacingName": "My Experiment",
    "isEnrollmentPaused": False,
    "isRollout": False,
    "bucketConfig": {"randomizationUnit": "normandy_id", "count": 100, "total": 10000},
    "branches": [
        {"slug": "control", "ratio": 1, "features": []},
        {"slug": "treatment", "ratio": 1, "features": []},
    ],
    "startDate": "2024-03-01",
    "endDate": "2024-04-01",
    "referenceBranch": "control",
}

PROJECT = """\
[project]
platform = "firefox_desktop"
metrics = ["uri_count"]
{extra}
[project.population]
data_source = "main"

[metrics.uri_count.statistics]
mean = {{}}
"""


@pytest.fixture
def metadata(tmp_path: Path) -> Path:
    path = tmp_path / "experiments.json"
    path.write_text(json.dumps([EXPERIMENT, {**EXPERIMENT, "slug": "other"}]))
    return path


def test_metadata_fills_branches_dates_channel_and_name(
    config_tree: Callable[[str], Path], metadata: Path
) -> None:
    path = config_tree(PROJECT.format(extra=""))
    catalog = load_experiments(Settings(), str(metadata), fetch=False)
    project = load_project(path, experiments=catalog)
    assert project.population.branches == ("control", "treatment")
    assert (str(project.start_date), str(project.end_date)) == ("2024-03-01", "2024-04-01")
    assert project.population.channel == "nightly"
    assert project.name == "My Experiment"


def test_config_values_override_metadata(
    config_tree: Callable[[str], Path], metadata: Path
) -> None:
    path = config_tree(PROJECT.format(extra='name = "Mine"\nstart_date = "2024-03-05"\n'))
    catalog = ExperimentCatalog.load(str(metadata), fetch=False)
    project = load_project(path, experiments=catalog)
    assert project.name == "Mine"
    assert str(project.start_date) == "2024-03-05"
    assert str(project.end_date) == "2024-04-01"


def test_without_metadata_nothing_is_invented(config_tree: Callable[[str], Path]) -> None:
    project = load_project(config_tree(PROJECT.format(extra="")))
    assert project.population.branches == ()
    assert project.start_date is None


def test_url_is_not_fetched_unless_asked() -> None:
    with pytest.raises(ExperimentMetadataError, match="fetching is off"):
        ExperimentCatalog.load("https://experimenter.example/api/v6/experiments/", fetch=False)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"slug": "x",}\n]')
    with pytest.raises(ConfigError) as caught:
        load_experiments(Settings(), str(path), fetch=False)
    assert f"{path}:2: not valid JSON" in str(caught.value)
