"""``opwatch run``, ``opwatch backfill`` and ``opwatch render``: the ETL from the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opwatch.cli.app import (
    EXIT_INVALID_CONFIG,
    EXIT_RUN_FAILED,
    ExperimentsOption,
    FetchOption,
    QuietOption,
    SettingsOption,
    app,
    configure_logging,
    err,
    find_project,
    out,
    settings_and_experiments,
)
from opwatch.engines import ENGINES, create_engine
from opwatch.errors import ConfigError, OpwatchError

if TYPE_CHECKING:
    from opwatch.config import Project, Settings
    from opwatch.config.diagnostics import Diagnostic
    from opwatch.config.experiments import ExperimentCatalog
    from opwatch.pipeline import Batch, Runner, RunResult

EngineName = StrEnum("EngineName", {name: name for name in ENGINES})  # type: ignore[misc]

ProjectsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--project",
        "-p",
        help="A project slug or file (repeatable). Default: every project in config.projects "
        "(or ./opmon).",
    ),
]
PROGRESS_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)
ForceOption = Annotated[
    bool, typer.Option("--force", help="Recompute days already done with this configuration.")
]


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


def _day_or_yesterday(value: str | None) -> date:
    """``--date`` parsed, or yesterday (UTC) when not given."""
    return _parse_day(value) if value else datetime.now(UTC).date() - timedelta(days=1)


DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Submission date YYYY-MM-DD (default: yesterday, UTC)."),
]


@app.command()
def run(
    day: DateOption = None,
    projects: ProjectsOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Compute one day of every active project: client tables, then their statistics."""
    configure_logging(quiet)
    _run_days([_day_or_yesterday(day)], projects, force, (settings_file, experiments, fetch))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="First submission date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last submission date, YYYY-MM-DD.")],
    projects: ProjectsOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Compute a range of days; rerun after an interruption and it resumes where it stopped."""
    configure_logging(quiet)
    first, last = _parse_day(start), _parse_day(end)
    if last < first:
        raise typer.BadParameter(f"--end {end} is before --start {start}")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    _run_days(days, projects, force, (settings_file, experiments, fetch))


@app.command()
def render(
    project: Annotated[str, typer.Argument(help="A project file, or a project slug.")],
    engine: Annotated[
        EngineName, typer.Option("--engine", help="Engine whose SQL to print.")
    ] = EngineName["duckdb"],
    day: DateOption = None,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Print the SQL script one day of a project runs on an engine, without running it."""
    from opwatch.config import load_project
    from opwatch.sql.plan import plan_run

    settings, catalog = settings_and_experiments(settings_file, experiments, fetch)
    resolved = load_project(find_project(project, settings), settings, catalog)
    target = create_engine(settings, str(engine.value))
    try:
        statements = target.script(target.prepare(plan_run(resolved, [_day_or_yesterday(day)])))
    finally:
        target.close()
    out.print(";\n\n".join(statements) + ";", markup=False, highlight=False, soft_wrap=True)


def run_projects(
    runner: Runner,
    projects: list[Project],
    days: list[date],
    *,
    force: bool = False,
    within_window: bool = True,
) -> RunResult:
    """Run with a progress bar over the days due; the summary table printed after."""
    with Progress(*PROGRESS_COLUMNS, console=err) as progress:
        result = runner.run(
            projects,
            days,
            force=force,
            within_window=within_window,
            progress=ProgressBar(progress),
        )
    out.print(summary_table(result))
    return result


class ProgressBar:
    """A Rich progress bar over the project-days of a run."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("days", total=None)

    def start(self, days: int) -> None:
        """Size the bar."""
        self.progress.update(self.task, total=days)

    def advance(self, batch: Batch) -> None:
        """Move the bar by a batch's days."""
        description = f"{batch.project.slug} {batch.days[-1]}"
        self.progress.update(self.task, advance=len(batch.days), description=description)


def summary_table(result: RunResult) -> Table:
    """One line per project: days computed, skipped and failed, client rows, time."""
    table = Table(title="Run summary")
    table.add_column("project", overflow="fold")
    for column in ("computed", "skipped", "failed", "client rows", "seconds"):
        table.add_column(column, justify="right")
    for slug, project in result.projects.items():
        table.add_row(
            slug,
            str(len(project.computed)),
            str(len(project.skipped)),
            str(len(project.failed)),
            f"{sum(project.computed.values()):,}",
            f"{project.seconds:.1f}",
            style="red" if project.failed else None,
        )
    return table


def _run_days(
    days: list[date],
    names: list[str] | None,
    force: bool,
    sources: tuple[Path | None, str | None, bool],
) -> None:
    """What ``run`` and ``backfill`` share: load settings and projects, run, report, exit."""
    from opwatch.pipeline import open_runner

    settings, catalog = settings_and_experiments(*sources)
    projects, invalid = project_list(names, settings, catalog)
    with open_runner(settings) as runner:
        result = run_projects(runner, projects, days, force=force)
    for slug, project in result.projects.items():
        for day, message in sorted(project.failed.items()):
            err.print(f"{slug} {day}: {message}", style="red", markup=False, highlight=False)
    if invalid:
        raise typer.Exit(EXIT_INVALID_CONFIG)
    if not result.ok:
        raise typer.Exit(EXIT_RUN_FAILED)


def project_list(
    names: list[str] | None, settings: Settings, catalog: ExperimentCatalog | None
) -> tuple[list[Project], bool]:
    """The projects named (each must load), or every valid project of the projects folder.

    Returns the projects and whether any project of the folder was invalid (reported).
    """
    from opwatch.config import ConfigLoader, validate_paths
    from opwatch.config.diagnostics import Severity

    if names:
        loader = ConfigLoader(settings, catalog)
        projects = []
        for name in names:
            project, diagnostics = loader.load(find_project(name, settings))
            if project is None:
                raise ConfigError([d for d in diagnostics if d.severity is Severity.ERROR])
            _print_diagnostics(diagnostics)
            projects.append(project)
        return projects, False
    folder = settings.config.projects or Path("opmon")
    if not folder.is_dir():
        raise OpwatchError(
            f"no projects folder {folder}: name projects with --project, "
            "or set config.projects in opwatch.toml"
        )
    result = validate_paths([folder], settings, catalog)
    _print_diagnostics(result.report.diagnostics)
    return result.projects, bool(result.report.errors)


def _print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """Errors in red, warnings (what OpMon ignores too: the run goes on) in yellow."""
    from opwatch.config.diagnostics import Severity

    for diagnostic in diagnostics:
        style = "red" if diagnostic.severity is Severity.ERROR else "yellow"
        err.print(diagnostic.format(), style=style, markup=False, highlight=False, soft_wrap=True)
