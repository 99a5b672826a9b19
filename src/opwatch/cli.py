"""The ``opwatch`` command: a thin layer over the library, one small function per command.

Exit codes: 0 success; 1 the configuration is invalid; 2 the command line is wrong (Typer);
3 any other opwatch error (for example unreadable experiment metadata).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import tomli_w
import typer
from rich.console import Console
from rich.table import Table

from opwatch import __version__
from opwatch.config import (
    Project,
    Settings,
    ValidationResult,
    load_experiments,
    load_project,
    load_settings,
    validate_paths,
)
from opwatch.config.diagnostics import Diagnostic
from opwatch.config.experiments import ExperimentCatalog
from opwatch.demo import DEMO_SLUG, demo_config_dir, demo_project_path
from opwatch.errors import ConfigError, OpwatchError, ProjectNotFoundError

EXIT_INVALID_CONFIG = 1
EXIT_OTHER_ERROR = 3

app = typer.Typer(
    name="opwatch",
    help="Operational monitoring for product telemetry, from OpMon-compatible configs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


class TextOrJson(StrEnum):
    """Output formats of ``validate``."""

    text = "text"
    json = "json"


class TomlOrJson(StrEnum):
    """Output formats of ``show``."""

    toml = "toml"
    json = "json"


SettingsOption = Annotated[
    Path | None,
    typer.Option("--settings", help="opwatch settings file (default: ./opwatch.toml if present)."),
]
ExperimentsOption = Annotated[
    str | None,
    typer.Option("--experiments", help="Experimenter v6 JSON metadata: a file path or a URL."),
]
FetchOption = Annotated[
    bool, typer.Option("--fetch-experiments", help="Allow reading experiment metadata from a URL.")
]


def _version(value: bool) -> None:
    if value:
        out.print(f"opwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Operational monitoring for product telemetry, from OpMon-compatible configs."""


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
    settings, catalog = _settings_and_experiments(settings_file, experiments, fetch)
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
    settings, catalog = _settings_and_experiments(settings_file, experiments, fetch)
    resolved = load_project(find_project(project, settings), settings, catalog)
    sys.stdout.write(render_config(resolved, output))


@app.command()
def demo(
    output: Annotated[TomlOrJson, typer.Option("--format", help="Format of the shown config.")] = (
        TomlOrJson.toml
    ),
) -> None:
    """Validate and show the packaged demo project (the ETL will run it on DuckDB)."""
    result = validate_paths([demo_config_dir()])
    _print_validation(result)
    if not result.ok:
        raise typer.Exit(EXIT_INVALID_CONFIG)
    project = load_project(demo_project_path())
    out.print(_project_table(project))
    out.print(f"[bold]Merged configuration of {project.slug}[/bold]")
    sys.stdout.write(render_config(project, output))


def find_project(name: str, settings: Settings) -> Path:
    """The file of a project given as a path or a slug (settings folder, ./opmon, ., demo)."""
    candidate = Path(name)
    if candidate.suffix == ".toml" or candidate.is_file():
        if candidate.is_file():
            return candidate
        raise ProjectNotFoundError(f"{name}: no such project file")
    folders = [settings.config.projects, Path("opmon"), Path()]
    for folder in folders:
        if folder is not None and (folder / f"{name}.toml").is_file():
            return folder / f"{name}.toml"
    if name == DEMO_SLUG:
        return demo_project_path()
    looked = ", ".join(str(f) for f in folders if f is not None)
    raise ProjectNotFoundError(f'no project "{name}": looked for {name}.toml in {looked}')


def render_config(project: Project, output: TomlOrJson) -> str:
    """The merged configuration of ``project`` as TOML or JSON text."""
    config = project.to_config()
    if output is TomlOrJson.json:
        return json.dumps(config, indent=2, default=str) + "\n"
    return tomli_w.dumps(config, multiline_strings=True)


def _settings_and_experiments(
    path: Path | None, experiments: str | None, fetch: bool
) -> tuple[Settings, ExperimentCatalog | None]:
    settings = load_settings(path)
    if isinstance(settings, Diagnostic):
        raise ConfigError([settings])
    return settings, load_experiments(settings, experiments, fetch)


def _print_validation(result: ValidationResult) -> None:
    for diagnostic in sorted(result.report, key=lambda d: (str(d.file), d.line or 0)):
        style = "red" if diagnostic.severity == "error" else "yellow"
        out.print(diagnostic.format(), style=style, markup=False, highlight=False, soft_wrap=True)
    errors, warnings = len(result.report.errors), len(result.report.warnings)
    summary = (
        f"{_count(len(result.files), 'file')}, "
        f"{_count(len(result.projects), 'project')} valid: "
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    )
    out.print(summary, style="bold red" if errors else "bold green", highlight=False)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _validation_json(result: ValidationResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "files": [str(f) for f in result.files],
        "projects": [p.slug for p in result.projects],
        "diagnostics": [d.as_dict() for d in result.report],
    }


def _project_table(project: Project) -> Table:
    table = Table(title=f"{project.name} ({project.slug}), x-axis {project.xaxis}")
    for column in ("metric", "type", "data source", "statistics"):
        table.add_column(column)
    for metric in project.metrics:
        stats = ", ".join(s.name + _parameters(s.parameters) for s in metric.statistics)
        table.add_row(metric.name, metric.type, metric.data_source, stats)
    return table


def _parameters(parameters: dict[str, Any]) -> str:
    shown = {k: v for k, v in parameters.items() if k in {"percentiles", "denominator_metric"}}
    return f" {shown}" if shown else ""


def main() -> None:
    """Entry point: run the app, turning opwatch errors into messages and exit codes."""
    try:
        app(prog_name="opwatch")
    except ConfigError as error:
        for diagnostic in error.diagnostics:
            err.print(
                diagnostic.format(), style="red", markup=False, highlight=False, soft_wrap=True
            )
        sys.exit(EXIT_INVALID_CONFIG)
    except OpwatchError as error:
        err.print(f"opwatch: {error}", style="red", markup=False, highlight=False)
        sys.exit(EXIT_OTHER_ERROR)
