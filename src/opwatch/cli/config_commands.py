"""``opwatch validate`` and ``opwatch show``: check configurations, print a merged project."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import tomli_w
import typer

from opwatch.cli.app import (
    EXIT_INVALID_CONFIG,
    ExperimentsOption,
    FetchOption,
    SettingsOption,
    app,
    count,
    err,
    find_project,
    out,
    settings_and_experiments,
)

if TYPE_CHECKING:
    from opwatch.config import Project, ValidationResult


class TextOrJson(StrEnum):
    """Output formats of ``validate``."""

    text = "text"
    json = "json"


class TomlOrJson(StrEnum):
    """Output formats of ``show``."""

    toml = "toml"
    json = "json"


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Project files, definition files or folders.")
    ],
    output: Annotated[
        TextOrJson, typer.Option("--format", help="Output format.")
    ] = TextOrJson.text,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Check configuration files and report every problem with its file, line and fix."""
    from opwatch.config import validate_paths

    settings, catalog = settings_and_experiments(settings_file, experiments, fetch)
    with err.status(f"validating {len(paths)} path(s)…"):
        result = validate_paths(paths, settings, catalog)
    if output is TextOrJson.json:
        out.print_json(data=_validation_json(result))
    else:
        _print_validation(result)
    failed = result.report.errors or (strict and result.report.warnings)
    raise typer.Exit(EXIT_INVALID_CONFIG if failed else 0)


@app.command()
def show(
    project: Annotated[str, typer.Argument(help="A project file, or a project slug.")],
    output: Annotated[
        TomlOrJson, typer.Option("--format", help="Output format.")
    ] = TomlOrJson.toml,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Print a project's fully merged configuration (defaults, definitions and project)."""
    from opwatch.config import load_project

    settings, catalog = settings_and_experiments(settings_file, experiments, fetch)
    resolved = load_project(find_project(project, settings), settings, catalog)
    sys.stdout.write(render_config(resolved, output))


def render_config(project: Project, output: TomlOrJson) -> str:
    """The merged configuration of ``project`` as TOML or JSON text."""
    config = project.to_config()
    if output is TomlOrJson.json:
        return json.dumps(config, indent=2, default=str) + "\n"
    return tomli_w.dumps(config, multiline_strings=True)


def _print_validation(result: ValidationResult) -> None:
    for diagnostic in sorted(result.report, key=lambda d: (str(d.file), d.line or 0)):
        style = "red" if diagnostic.severity == "error" else "yellow"
        out.print(diagnostic.format(), style=style, markup=False, highlight=False, soft_wrap=True)
    errors, warnings = len(result.report.errors), len(result.report.warnings)
    summary = (
        f"{count(len(result.files), 'file')}, "
        f"{count(len(result.projects), 'project')} valid: "
        f"{count(errors, 'error')}, {count(warnings, 'warning')}"
    )
    out.print(summary, style="bold red" if errors else "bold green", highlight=False)


def _validation_json(result: ValidationResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "files": [str(f) for f in result.files],
        "projects": [p.slug for p in result.projects],
        "diagnostics": [d.as_dict() for d in result.report],
    }
