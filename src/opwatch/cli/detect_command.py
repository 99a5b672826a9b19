"""``opwatch detect``: change detection over the statistics of projects."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, get_args

import typer
from rich.progress import Progress
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
    out,
    settings_and_experiments,
)
from opwatch.cli.run_commands import PROGRESS_COLUMNS, ProjectsOption, project_list
from opwatch.config.vocabulary import Platform
from opwatch.detect.techniques import TECHNIQUES
from opwatch.engines import create_engine
from opwatch.errors import DetectionError

if TYPE_CHECKING:
    from opwatch.config import Project, Settings
    from opwatch.pipeline.detection import DetectionSummary

log = logging.getLogger("opwatch.detection")

SUMMARY_CAPTION = (
    "series searched; shifts classified as regressions, improvements or other changes; "
    "spikes; series of other platforms skipped; seconds"
)
TECHNIQUE_CHOICES = ("default", *TECHNIQUES.names())
"""From the registry, which names its techniques without importing numpy or scipy."""
PLATFORM_CHOICES: tuple[str, ...] = get_args(Platform)
TechniqueName = StrEnum(  # type: ignore[misc]
    "TechniqueName", {name: name for name in TECHNIQUE_CHOICES}
)
PlatformName = StrEnum(  # type: ignore[misc]
    "PlatformName", {name: name for name in PLATFORM_CHOICES}
)


@app.command("detect")
def detect_command(
    projects: ProjectsOption = None,
    technique: Annotated[
        TechniqueName | None,
        typer.Option(
            "--technique",
            help="Technique for every metric (default: each metric's "
            "[metrics.X.monitor] change_detection_technique, else binseg).",
        ),
    ] = None,
    platforms: Annotated[
        list[PlatformName] | None,
        typer.Option(
            "--platform",
            help="Platform to search (repeatable) in projects split by os; All: every value. "
            "Default: each metric's monitor.platforms, else Windows, Linux and Darwin.",
        ),
    ] = None,
    show: Annotated[
        int, typer.Option("--show", min=0, help="Print this many of the changes found.")
    ] = 20,
    quiet: QuietOption = False,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Find where each statistic changed; replace each project's <slug>_detections table."""
    configure_logging(quiet)
    settings, catalog = settings_and_experiments(settings_file, experiments, fetch)
    loaded, invalid = project_list(projects, settings, catalog)
    summaries, failed = detect_projects(
        settings,
        loaded,
        platforms=[str(p.value) for p in platforms] if platforms else None,
        technique=str(technique.value) if technique else None,
    )
    print_detections(summaries, show)
    for message in failed:
        err.print(message, style="red", markup=False, highlight=False)
    if invalid:
        raise typer.Exit(EXIT_INVALID_CONFIG)
    if failed:
        raise typer.Exit(EXIT_RUN_FAILED)


def detect_projects(
    settings: Settings,
    projects: list[Project],
    platforms: list[str] | None = None,
    technique: str | None = None,
    missing_ok: bool = False,
) -> tuple[list[DetectionSummary], list[str]]:
    """Detection over ``projects`` with a progress bar: their summaries, and the messages of
    the projects that could not be searched (those without statistics are only logged when
    ``missing_ok``: the demo's data feeds some corpus projects no rows at small sizes)."""
    from opwatch.pipeline.detection import DetectionStep

    engine = create_engine(settings)
    step = DetectionStep(engine, platforms=platforms, technique=technique)
    summaries, failed = [], []
    try:
        with Progress(*PROGRESS_COLUMNS, console=err) as progress:
            task = progress.add_task("detecting", total=len(projects))
            for project in projects:
                progress.update(task, description=f"detecting {project.slug}")
                if missing_ok and not step.has_statistics(project):
                    log.info("%s: no statistics to search", project.slug)
                    progress.advance(task)
                    continue
                try:
                    summaries.append(step.run(project))
                except DetectionError as error:
                    failed.append(str(error))
                progress.advance(task)
    finally:
        engine.close()
    return summaries, failed


def print_detections(summaries: list[DetectionSummary], show: int) -> None:
    """The summary table, then the ``show`` strongest changes."""
    out.print(summary_table(summaries))
    if show and any(s.changes for s in summaries):
        out.print(changes_table(summaries, show))


def summary_table(summaries: list[DetectionSummary]) -> Table:
    """One line per project: series searched, changes by classification, time."""
    table = Table(title="Detection summary", caption=SUMMARY_CAPTION)
    table.add_column("project", overflow="fold", min_width=20)
    for column in ("series", "regr.", "impr.", "other", "spikes", "skip", "s"):
        table.add_column(column, justify="right")
    for summary in summaries:
        spikes = sum(1 for _, c in summary.changes if c.kind == "spike")
        table.add_row(
            summary.project,
            str(summary.series),
            str(summary.count("regression")),
            str(summary.count("improvement")),
            str(summary.count("change")),
            str(spikes),
            str(summary.skipped),
            f"{summary.seconds:.1f}",
        )
    return table


def changes_table(summaries: list[DetectionSummary], limit: int) -> Table:
    """The strongest shifts (regressions first), then spikes, up to ``limit`` rows."""
    found = [(s.project, series, c) for s in summaries for series, c in s.changes]
    order = {"regression": 0, "change": 1, "improvement": 2}
    found.sort(key=lambda f: (f[2].kind == "spike", order[f[2].classification], -f[2].score))
    table = Table(title=f"Changes ({min(limit, len(found))} of {len(found)})")
    for column in ("project", "since", "series", "what", "change", "score"):
        table.add_column(column, overflow="fold")
    for project, series, change in found[:limit]:
        key = series.key
        parts = [key.metric, key.statistic, key.parameter, key.branch, *key.dimensions]
        relative = change.relative_change
        size = f"{relative:+.1%}" if relative is not None else f"{change.magnitude:+.4g}"
        table.add_row(
            project,
            series.xs[change.index],
            " ".join(str(p) for p in parts if p is not None),
            change.classification if change.kind == "shift" else "spike",
            f"{change.feature} {change.before:.4g} → {change.after:.4g} ({size})",
            f"{change.score:.1f}",
        )
    return table
