"""``opwatch validate``, ``show`` and the command set, run as a user runs them (in this process
but for one real ``python -m opwatch validate``)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from opwatch.cli import app
from opwatch.demo import demo_config_dir
from tests.cli.helpers import opwatch, opwatch_process
from tests.conftest import CORPUS

COMMANDS = sorted(
    command.name or getattr(command.callback, "__name__", "") for command in app.registered_commands
)


def test_commands_are_the_documented_ones() -> None:
    assert COMMANDS == [
        "alerts",
        "backfill",
        "demo",
        "detect",
        "render",
        "run",
        "serve",
        "show",
        "validate",
    ]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = opwatch(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: " in result.stdout


def test_validate_corpus_exits_zero() -> None:
    result = opwatch("validate", str(CORPUS / "metric-hub"), str(CORPUS / "opmon-config-2022"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "37 projects valid: 0 errors, 1 warning" in result.stdout


@pytest.mark.slow
def test_python_dash_m_opwatch_validates_the_demo() -> None:
    """The entry point, the configuration layer and the exit code in a new interpreter; the
    in-process runner the other tests use gets the same output."""
    result = opwatch_process("validate", str(demo_config_dir()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 project valid: 0 errors, 0 warnings" in result.stdout
    in_process = opwatch("validate", str(demo_config_dir()))
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        result.returncode,
        result.stdout,
        result.stderr,
    )


def test_validate_reports_every_error_and_exits_one(config_tree: Callable[[str], Path]) -> None:
    path = config_tree('[project]\nxaxis = "day"\nmetrics = ["nope"]\n')
    result = opwatch("validate", str(path))
    assert result.returncode == 1
    assert f'{path}:2: project.xaxis: "day" is not allowed here' in result.stdout
    assert "1 file, 0 projects valid: 1 error" in result.stdout


def test_validate_json_has_one_pinned_shape(config_tree: Callable[[str], Path]) -> None:
    path = config_tree('[project]\nxaxis = "day"\n')
    result = opwatch("validate", "--format", "json", str(path))
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["diagnostics"] == [
        {
            "file": str(path),
            "key_path": "project.xaxis",
            "message": '"day" is not allowed here',
            "hint": "use one of: submission_date, build_id",
            "line": 2,
            "column": None,
            "severity": "error",
        }
    ]


def test_strict_fails_on_warnings() -> None:
    ads = CORPUS / "metric-hub" / "definitions" / "ads.toml"
    assert opwatch("validate", str(ads)).returncode == 0
    assert opwatch("validate", "--strict", str(ads)).returncode == 1


def test_show_prints_the_merged_config_which_validates_again(tmp_path: Path) -> None:
    project = CORPUS / "metric-hub" / "opmon" / "garbage_collection.toml"
    result = opwatch("show", str(project))
    assert result.returncode == 0, result.stderr
    shown = tomllib.loads(result.stdout)
    assert shown["project"]["metrics"] == ["gc_ms", "gc_budget_overrun", "gc_effectiveness"]
    assert "main_client_filtered" in shown["data_sources"]
    copy = tmp_path / "garbage_collection.toml"
    copy.write_text(result.stdout)
    again = opwatch("show", "--format", "json", str(copy))
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        json.loads(again.stdout)["metrics"]
        == json.loads(opwatch("show", "--format", "json", str(project)).stdout)["metrics"]
    )


def test_show_unknown_project_exits_three(tmp_path: Path) -> None:
    result = opwatch("show", "no-such-project", cwd=tmp_path)
    assert result.returncode == 3
    assert 'no project "no-such-project"' in result.stderr


def test_show_invalid_project_exits_one(config_tree: Callable[[str], Path]) -> None:
    result = opwatch("show", str(config_tree('[project]\nmetrics = ["nope"]\n')))
    assert result.returncode == 1
    assert 'metric "nope" is not defined' in result.stderr
