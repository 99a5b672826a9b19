"""Settings files: found, validated, and relative paths resolved against their folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opwatch.config import Settings, load_settings, validate_paths
from opwatch.errors import ConfigError


def test_relative_paths_are_resolved_against_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "opwatch.toml"
    path.write_text(
        '[config]\nprojects = "opmon"\ndefinitions = ["extra"]\n'
        '[experiments]\nmetadata = "experiments.json"\n'
    )
    settings = load_settings(path)
    assert isinstance(settings, Settings)
    assert settings.config.projects == tmp_path / "opmon"
    assert settings.config.definitions == [tmp_path / "extra"]
    assert settings.experiments.metadata == str(tmp_path / "experiments.json")


def test_invalid_settings_are_located_diagnostics_with_the_valid_values(tmp_path: Path) -> None:
    path = tmp_path / "opwatch.toml"
    path.write_text('[config]\nmax_file_mb = 0\n\n[engine]\nname = "duckbd"\nbatch_dayz = 3\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    found = {d.key_path: d for d in raised.value.diagnostics}
    assert set(found) == {"config.max_file_mb", "engine.name", "engine.batch_dayz"}
    assert all(d.file == path for d in found.values())
    assert [found[k].line for k in ("config.max_file_mb", "engine.name")] == [2, 5]
    assert 'did you mean "duckdb"?' in found["engine.name"].format()
    assert 'unknown key "batch_dayz"' in found["engine.batch_dayz"].format()


def test_extra_definition_folders_are_searched(
    tmp_path: Path, config_tree: Callable[[str], Path]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "firefox_desktop.toml").write_text(
        '[metrics.pings]\ndata_source = "main"\nselect_expression = "COUNT(*)"\n'
    )
    project = config_tree(
        '[project]\nmetrics = ["pings"]\n[project.population]\n'
        'data_source = "main"\n[metrics.pings.statistics]\nsum = {}\n'
    )
    assert not validate_paths([project]).ok
    settings = Settings.model_validate({"config": {"definitions": [str(extra)]}})
    result = validate_paths([project], settings)
    assert result.ok, [d.format() for d in result.report]
    assert result.projects[0].metric("pings").select_expression == "COUNT(*)"


def test_boolean_pref_beside_branches_is_a_warning(config_tree: Callable[[str], Path]) -> None:
    project = config_tree(
        '[project]\nmetrics = ["crashes"]\n[project.population]\n'
        'data_source = "main"\nbranches = ["a", "b"]\nboolean_pref = "p"\n'
        "[metrics.crashes.statistics]\nsum = {}\n"
    )
    result = validate_paths([project])
    assert result.ok
    [warning] = result.report.warnings
    assert (warning.key_path, warning.line) == ("project.population.boolean_pref", 6)


def test_settings_file_in_a_validated_folder_is_not_a_project(
    tmp_path: Path, config_tree: Callable[[str], Path]
) -> None:
    config_tree(
        '[project]\nmetrics = ["crashes"]\n[project.population]\ndata_source = "main"\n'
        "[metrics.crashes.statistics]\nsum = {}\n"
    )
    (tmp_path / "opwatch.toml").write_text("[config]\nmax_file_mb = 5\n")
    result = validate_paths([tmp_path])
    assert result.ok, [d.format() for d in result.report]
    assert [p.name for p in result.files] == ["firefox_desktop.toml", "my-project.toml"]


def test_loading_a_project_twice_reports_the_same_diagnostics(
    config_tree: Callable[[str], Path],
) -> None:
    from opwatch.config import ConfigLoader

    path = config_tree(
        '[project]\nmetrics = ["nope"]\n[project.population]\ndata_source = "main"\n'
    )
    definitions = path.parent.parent / "definitions" / "firefox_desktop.toml"
    definitions.write_text(definitions.read_text() + '[dimensions.country]\nfriendly = "x"\n')
    loader = ConfigLoader()
    first = loader.load(path)[1]
    assert loader.load(path)[1] == first
    assert [d.message for d in first] == ['unknown key "friendly"', 'metric "nope" is not defined']
