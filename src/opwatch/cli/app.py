"""The Typer app every command registers on, the options commands share, and ``main``.

Exit codes: 0 success; 1 a configuration is invalid; 2 the command line is wrong (Typer);
3 any other opwatch error (unreadable experiment metadata, an engine that cannot start, another
run holding the results); 4 a run finished but some project-days failed (the others are saved).

Startup is kept cheap: every ``opwatch`` call (``--help`` too) imports this module and the
command modules, so they import only Typer, Rich and light opwatch modules at the top; what a
command needs to run (configuration, engines, the pipeline, the web app) is imported in its
body. ``tests/cli/test_startup.py`` fails when a heavy library creeps back into ``--help``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from opwatch import __version__
from opwatch.demo import DEMO_SLUG, demo_project_path
from opwatch.errors import ConfigError, OpwatchError, ProjectNotFoundError

if TYPE_CHECKING:
    from opwatch.config import Settings
    from opwatch.config.experiments import ExperimentCatalog

EXIT_INVALID_CONFIG = 1
EXIT_OTHER_ERROR = 3
EXIT_RUN_FAILED = 4
CHATTY_LOGGERS = ("sqlglot", "alembic", "httpx")
"""Libraries held to warnings: sqlglot notes each dialect adjustment it makes (array index
offsets) at INFO, Alembic its migration context, httpx every request; opwatch's own lines say
what happened."""

app = typer.Typer(
    name="opwatch",
    help="Operational monitoring for product telemetry, from OpMon-compatible configs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

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
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Log only warnings and errors.")]


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


def settings_and_experiments(
    path: Path | None, experiments: str | None, fetch: bool
) -> tuple[Settings, ExperimentCatalog | None]:
    """The settings (``--settings`` or ./opwatch.toml) and the experiment metadata they name."""
    from opwatch.config import load_experiments, load_settings

    settings = load_settings(path)
    return settings, load_experiments(settings, experiments, fetch)


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


def configure_logging(quiet: bool) -> None:
    """Log lines to stderr: what ran, for whom, with numbers."""
    from rich.logging import RichHandler  # only commands that run something log

    handler = RichHandler(console=err, show_path=False, markup=False, rich_tracebacks=False)
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    for chatty in CHATTY_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.WARNING)


def count(number: int, noun: str) -> str:
    """``3 files``, ``1 file``."""
    return f"{number} {noun}{'s' * (number != 1)}"


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
