"""``opwatch alerts``: the daily alert workflow over the projects' detections."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

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
from opwatch.errors import NotifyError

if TYPE_CHECKING:
    from opwatch.alerts.model import Alert

log = logging.getLogger("opwatch.alerts")
STEP_HELP = (
    "bug statuses read back; alerts added; bugs filed; alerts linked to a bug; "
    "emails sent; webhook posts"
)


@app.command("alerts")
def alerts_command(
    projects: ProjectsOption = None,
    day: Annotated[
        datetime | None,
        typer.Option(
            "--day", formats=["%Y-%m-%d"], help="The day the run is for (default: today)."
        ),
    ] = None,
    lookback: Annotated[
        int,
        typer.Option(
            "--lookback",
            min=0,
            help="Ignore changes older than this many days before a project's latest data.",
        ),
    ] = 14,
    show: Annotated[int, typer.Option("--show", min=0, help="Print this many open alerts.")] = 20,
    quiet: QuietOption = False,
    settings_file: SettingsOption = None,
    experiments: ExperimentsOption = None,
    fetch: FetchOption = False,
) -> None:
    """Turn detections into alerts, file bugs, email owners, read resolutions back.

    Run it after `opwatch detect`, daily; a rerun of a day sends nothing twice.
    """
    from opwatch.alerts.manager import STEPS
    from opwatch.alerts.setup import open_manager
    from opwatch.alerts.store import OPEN, AlertQuery

    configure_logging(quiet)
    settings, catalog = settings_and_experiments(settings_file, experiments, fetch)
    loaded, invalid = project_list(projects, settings, catalog)
    run_day = (day or datetime.now()).date()
    with open_manager(settings, lookback) as manager:
        with Progress(*PROGRESS_COLUMNS, console=err, transient=True) as progress:
            task = progress.add_task("alerts", total=len(STEPS))
            manager.progress = lambda step: progress.update(
                task, description=f"alerts: {step}", advance=1
            )
            try:
                counts = manager.run(loaded, run_day)
            except NotifyError as error:
                err.print(f"opwatch alerts: {error}", style="red", markup=False, highlight=False)
                raise typer.Exit(EXIT_RUN_FAILED) from None
        out.print(steps_table(counts, run_day))
        if show:
            open_alerts = manager.store.find(AlertQuery(status=OPEN, limit=show))
            out.print(open_alerts_table(open_alerts))
    if invalid:
        raise typer.Exit(EXIT_INVALID_CONFIG)


def steps_table(counts: dict[str, int], day: date) -> Table:
    """The day's counts, one column per step."""
    from opwatch.alerts.manager import STEPS

    table = Table(title=f"Alerts, {day}", caption=STEP_HELP)
    for step in STEPS:
        table.add_column(step, justify="right")
    table.add_row(*(str(counts[step]) for step in STEPS))
    return table


def open_alerts_table(alerts: list[Alert]) -> Table:
    """The open alerts, newest change first (the store's order)."""
    table = Table(title="Open alerts")
    for column in ("project", "series", "since", "change", "status", "bug"):
        table.add_column(column, overflow="fold")
    for alert in alerts:
        table.add_row(
            alert.project,
            alert.series,
            alert.position,
            alert.change_text,
            alert.status,
            str(alert.bug_id or ""),
        )
    return table
