"""``opwatch demo``: synthetic telemetry, the ETL on DuckDB, and a summary — the main job.

The demo folder is a complete installation: ``data/`` (Parquet shaped like Mozilla's tables),
``config/`` (the demo project, laid out like metric-hub), ``opwatch.toml`` (tables mapped to the
Parquet files, results in ``results/``) and ``results/``. Inside it, ``opwatch run`` and
``opwatch backfill`` work as they would on real data.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import tomli_w
import typer
from rich.progress import Progress

from opwatch.cli.alerts_command import steps_table
from opwatch.cli.app import (
    EXIT_RUN_FAILED,
    app,
    configure_logging,
    err,
    out,
)
from opwatch.cli.detect_command import detect_projects, print_detections
from opwatch.cli.run_commands import PROGRESS_COLUMNS, run_projects
from opwatch.cli.serve_command import serve_results
from opwatch.demo import demo_config_dir, demo_project_path

if TYPE_CHECKING:
    from opwatch.config import Project, Settings
    from opwatch.demo.telemetry import DemoSpec, GeneratedData

SPEC_FILE = "demo-spec.json"
LEGACY_SUFFIX = "-gen1"


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo installation is written.")
    ] = Path("opwatch-demo"),
    clients: Annotated[int, typer.Option(min=10, help="Synthetic clients.")] = 2000,
    days: Annotated[int, typer.Option(min=2, help="Days of telemetry, ending --end-date.")] = 28,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus",
            exists=True,
            file_okay=False,
            help="A folder of real OpMon configs (metric-hub/, opmon-config-2022/): also run "
            "the corpus projects the demo data can feed.",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every batch run (default: summary only).")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboards at the end.")
    ] = True,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Dashboards' port.")] = 8000,
) -> None:
    """Generate synthetic telemetry, run the demo (and corpus) projects on DuckDB, detect
    changes, turn them into alerts, summarize, then serve the dashboards on localhost (Ctrl-C
    stops)."""
    from opwatch.alerts.setup import open_manager
    from opwatch.config import load_project
    from opwatch.demo.telemetry import DemoSpec
    from opwatch.demo.telemetry.corpus import SUPPORTED_PROJECTS, corpus_experiments
    from opwatch.demo.telemetry.desktop_probes import probes_named_in
    from opwatch.demo.telemetry.tables import tables_named
    from opwatch.pipeline import open_runner

    configure_logging(quiet=not verbose)
    projects = [load_project(demo_project_path()), *_corpus_projects(corpus)]
    experiments = corpus_experiments(SUPPORTED_PROJECTS if corpus else ())
    histograms, scalars = probes_named_in(_sql_of(projects))
    spec = DemoSpec(
        clients=clients,
        days=days,
        seed=seed,
        experiments=experiments,
        tables=tables_named(_tables_read(projects)),
        main_histograms=histograms,
        main_scalars=scalars,
    )
    data, fresh = _data(spec, folder)
    settings = _write_installation(folder, data)
    all_days = [data.start_date + timedelta(days=n) for n in range(spec.days)]
    with open_runner(settings) as runner:
        result = run_projects(runner, projects, all_days, force=fresh, within_window=False)
    summaries, failed = detect_projects(settings, projects, missing_ok=True)
    print_detections(summaries, show=10)
    with open_manager(settings) as manager:
        out.print(steps_table(manager.run(projects, data.end_date), data.end_date))
    for message in failed:
        err.print(message, style="red", markup=False, highlight=False)
    _print_next_steps(folder, spec, data)
    if not result.ok or failed:
        raise typer.Exit(EXIT_RUN_FAILED)
    if serve:
        serve_results(settings, "127.0.0.1", port)


def _corpus_projects(corpus: Path | None) -> list[Project]:
    """The corpus projects the data feed; a generation 1 project whose slug a generation 2
    one also has is run as ``<slug>-gen1``, still reading its experiment's enrollments."""
    from opwatch.config import load_project
    from opwatch.demo.telemetry.corpus import SUPPORTED_PROJECTS

    if corpus is None:
        return []
    projects = [load_project(corpus / supported.path) for supported in SUPPORTED_PROJECTS]
    current = {project.slug for project in projects if project.generation == 2}
    return [
        replace(project, slug=f"{project.slug}{LEGACY_SUFFIX}", experiment_slug=project.slug)
        if project.generation == 1 and project.slug in current
        else project
        for project in projects
    ]


def _tables_read(projects: list[Project]) -> set[str]:
    """The tables the projects' data sources and segments read (only those are generated:
    the demo project alone needs two of the fourteen)."""
    from sqlglot import exp, parse_one

    sources = [
        source.from_expression for project in projects for source in project.data_sources.values()
    ]
    sources += [
        source.from_expression
        for project in projects
        for source in project.segment_data_sources.values()
    ]
    return {
        ".".join(part.name for part in table.parts)
        for sql in sources
        for table in parse_one(f"SELECT * FROM {sql}", read="bigquery").find_all(exp.Table)
        if table.args.get("db")
    }


def _sql_of(projects: list[Project]) -> str:
    """Every SQL snippet of the projects: what they can read of the generated tables."""
    snippets = [metric.select_expression for project in projects for metric in project.metrics]
    for project in projects:
        snippets += [dimension.select_expression for dimension in project.dimensions.values()]
        snippets += [segment.select_expression for segment in project.segments.values()]
        snippets += [source.from_expression for source in project.data_sources.values()]
        snippets += [source.from_expression for source in project.segment_data_sources.values()]
    return "\n".join(snippets)


def _data(spec: DemoSpec, folder: Path) -> tuple[GeneratedData, bool]:
    """The generated data, and whether it is new: reused when the folder holds data of the
    same spec (generation is deterministic), else generated afresh."""
    from opwatch.demo.telemetry import generate

    spec_file = folder / SPEC_FILE
    wanted = json.dumps(asdict(spec), default=_json_value, sort_keys=True)
    if spec_file.is_file():
        recorded = json.loads(spec_file.read_text())
        if recorded.get("spec") == wanted:
            return _generated_data(recorded["data"]), False
    data_folder = folder / "data"
    shutil.rmtree(data_folder, ignore_errors=True)
    with Progress(*PROGRESS_COLUMNS, console=err) as progress:
        task = progress.add_task("generating telemetry", total=None)

        def report(table: str, done: int, total: int) -> None:
            progress.update(task, description=f"generating {table}", completed=done, total=total)

        data = generate(spec, data_folder, progress=report)
    spec_file.write_text(json.dumps({"spec": wanted, "data": asdict(data)}, default=str))
    return data, True


def _json_value(value: Any) -> Any:
    """Sets as sorted lists (their order would change between processes), else text."""
    return sorted(value) if isinstance(value, (set, frozenset)) else str(value)


def _generated_data(recorded: dict[str, Any]) -> GeneratedData:
    from opwatch.demo.telemetry import GeneratedData

    return GeneratedData(
        folder=Path(recorded["folder"]),
        tables=recorded["tables"],
        rows=recorded["rows"],
        start_date=date.fromisoformat(recorded["start_date"]),
        end_date=date.fromisoformat(recorded["end_date"]),
    )


def _write_installation(folder: Path, data: GeneratedData) -> Settings:
    """The demo config tree and an ``opwatch.toml`` mapping tables to the generated files."""
    from opwatch.config import load_settings

    config = folder / "config"
    shutil.rmtree(config, ignore_errors=True)
    shutil.copytree(demo_config_dir(), config)
    tables = {
        name: str(Path(glob).relative_to(folder.resolve())) for name, glob in data.tables.items()
    }
    settings_text = tomli_w.dumps(
        {
            "config": {"projects": "config/opmon"},
            "engine": {"name": "duckdb", "results": "results"},
            "tables": tables,
            "alerts": {"metrics_yaml": ["config/glean/metrics.yaml"]},
        }
    )
    path = folder / "opwatch.toml"
    path.write_text("# Written by `opwatch demo`.\n" + settings_text)
    return load_settings(path)


def _print_next_steps(folder: Path, spec: DemoSpec, data: GeneratedData) -> None:
    effects = spec.effects
    out.print(
        f"\nDemo data: {spec.clients:,} clients, {data.start_date} to {data.end_date}, "
        f"{sum(data.rows.values()):,} rows in {len(data.rows)} tables under {folder / 'data'}."
    )
    out.print(
        "Planted: "
        f"branch {effects.regression_branch!r} of {effects.regression_experiment!r} regresses GC "
        f"time x{effects.regression_factor} from {spec.regression_start}; builds dated "
        f"{spec.build_shift_from} or later shift memory and page loads "
        f"x{effects.build_shift_factor}; {effects.dimension_os} clients crash "
        f"x{effects.dimension_crash_factor} as often.",
        highlight=False,
    )
    out.print(f"Results: {folder / 'results' / 'tables'} (Parquet, one file per day).")
    out.print(
        "Alerts: the GC regressions wait in results/alerts.sqlite for a bug tracker and a mail "
        "server: set [alerts.bugzilla] and [alerts.email] in opwatch.toml, then opwatch alerts "
        "(docs/alerts.md).",
        highlight=False,
        markup=False,
    )
    out.print(
        f"Next: cd {folder} && opwatch run --date {data.end_date} --force   "
        "(settings in opwatch.toml)",
        highlight=False,
    )
