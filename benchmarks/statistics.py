"""The statistics step of the demo project on 1 M clients: wall time and peak memory vs the ETL.

Data: opwatch's own generator, 1,000,000 clients x 14 days, restricted to what the demo project
(``opwatch-demo``: ``gc_ms`` and ``gc_max_pause_ms_2`` histograms, ``uri_count`` and
``active_ticks`` of the main ping, ``main_crashes`` and ``crash_rate`` of the crash ping, by
OS, branches control and treatment) reads: the ``main`` and ``crash`` tables, two histogram
probes and one scalar probe. Cached under ``benchmarks/.data/`` by size and probes. Each
step runs in its own process with the engine limited to 2 threads, so its peak memory is its
own:

- ``etl``: the ETL alone (``Runner(..., statistics=False)``) of every generated day, from
  scratch: the ``opwatch_demo_scalar`` and ``opwatch_demo_histogram`` client tables;
- ``statistics-auto``, ``-analytic``, ``-bootstrap``: ``StatisticsStep.run`` over the ETL's
  tables, 7 days per call, with ``[project.statistics] interval_method`` set to each method
  (bootstrap: 1,000 resamples, the default). Each replaces the same ``_statistics`` partitions;
  the rows are counted after each step.

Run: ``.venv/bin/python benchmarks/statistics.py [--clients N] [--days N] [--skip-bootstrap]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file shares its name with the standard library's ``statistics`` module: run as a script,
# its folder is first on ``sys.path`` and would shadow the module for any library importing it.
# Move the folder last before importing anything: the standard library comes first, sibling
# modules (measure_process) still import.
ROOT = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT:
    sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import duckdb  # noqa: E402
from measure_process import measure_step  # noqa: E402
from pipeline_steps import run_etl_only, run_statistics_only  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

if TYPE_CHECKING:
    from opwatch.config import Settings

THREADS = 2
BATCH_DAYS = 7
SLUG = "opwatch_demo"
"""The demo project's table slug: ``opwatch_demo_scalar``, ``_histogram``, ``_statistics``."""
TABLES = frozenset({"main", "crash"})
HISTOGRAMS = ("gc_ms", "gc_max_pause_ms_2")
SCALARS = ("browser_engagement_total_uri_count",)
"""Main-ping scalars the demo reads (``active_ticks`` is a base column, always generated)."""
METHODS = ("auto", "analytic", "bootstrap")


@dataclass(frozen=True)
class Workload:
    """The generated data set, its settings and the results folder."""

    folder: Path
    clients: int
    days: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def settings(self) -> Path:
        return self.folder / "opwatch.toml"

    @property
    def results(self) -> Path:
        return self.folder / "results"

    @property
    def marker(self) -> Path:
        return self.folder / "generated.json"

    def table_glob(self, suffix: str) -> str:
        """The Parquet files of result table ``opwatch_demo_<suffix>``."""
        return str(self.results / "tables" / f"{SLUG}_{suffix}" / "*" / "*.parquet")

    def generated(self) -> dict[str, object]:
        """What generation recorded: rows per table, seconds, table globs, first and last day."""
        recorded: dict[str, object] = json.loads(self.marker.read_text())
        return recorded

    def dates(self) -> list[date]:
        """Every generated submission date, in order."""
        start = date.fromisoformat(str(self.generated()["start_date"]))
        return [start + timedelta(days=n) for n in range(self.days)]


def prepare(workload: Workload) -> None:
    """Generate the data (once per size) and write the settings beside it."""
    import tomli_w

    from opwatch.demo.telemetry import DemoSpec, generate

    spec = DemoSpec(
        clients=workload.clients,
        days=workload.days,
        tables=TABLES,
        main_histograms=HISTOGRAMS,
        main_scalars=SCALARS,
    )
    probes = [*HISTOGRAMS, *SCALARS]
    stale = workload.marker.exists() and workload.generated().get("probes") != probes
    if not workload.marker.exists() or stale:  # data of other probes cannot serve the project
        started = time.perf_counter()
        generated = generate(spec, workload.data)
        seconds = time.perf_counter() - started
        workload.marker.write_text(
            json.dumps(
                {
                    "rows": generated.rows,
                    "seconds": seconds,
                    "tables": generated.tables,
                    "start_date": generated.start_date.isoformat(),
                    "end_date": generated.end_date.isoformat(),
                    "probes": probes,
                }
            )
        )
    tables = workload.generated()["tables"]
    assert isinstance(tables, dict)
    settings = {
        "engine": {
            "name": "duckdb",
            "results": "results",
            "threads": THREADS,
            "batch_days": BATCH_DAYS,
        },
        "tables": tables,
    }
    workload.settings.write_text(tomli_w.dumps(settings))


# --- steps, each run in a child process ----------------------------------------------------


def step_etl(workload: Workload) -> None:
    """The ETL alone of every generated day, from scratch, in this process."""
    import shutil

    from opwatch.config import load_project
    from opwatch.demo import demo_project_path

    shutil.rmtree(workload.results, ignore_errors=True)
    run_etl_only(_settings(workload), load_project(demo_project_path()), workload.dates())


def step_statistics(workload: Workload, method: str) -> None:
    """The statistics of every day over the ETL's tables, ``BATCH_DAYS`` days per call."""
    from dataclasses import replace

    from opwatch.config import load_project
    from opwatch.config.resolved import StatisticsSettings
    from opwatch.demo import demo_project_path

    project = replace(
        load_project(demo_project_path()),
        statistics=StatisticsSettings(interval_method=method),
    )
    run_statistics_only(_settings(workload), project, workload.dates(), BATCH_DAYS)


def _statistics_step(method: str) -> Callable[[Workload], None]:
    def run(workload: Workload) -> None:
        step_statistics(workload, method)

    return run


STEPS: dict[str, Callable[[Workload], None]] = {
    "etl": step_etl,
    **{f"statistics-{method}": _statistics_step(method) for method in METHODS},
}


def _settings(workload: Workload) -> Settings:
    from opwatch.config import load_settings

    return load_settings(workload.settings)


# --- the parent: run each step in a child, measure, print ------------------------------------


def measure(step: str, workload: Workload) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of ``step`` in a fresh process."""
    arguments = ["--step", step, "--folder", str(workload.folder)]
    arguments += ["--clients", str(workload.clients), "--days", str(workload.days)]
    return measure_step(__file__, arguments, THREADS)


def count_rows(glob: str, distinct: str | None = None) -> int:
    """Rows of the Parquet files matching ``glob`` (or distinct values of ``distinct``)."""
    what = f"count(DISTINCT ({distinct}))" if distinct else "count(*)"
    row = duckdb.connect().execute(f"SELECT {what} FROM read_parquet('{glob}')").fetchone()
    assert row is not None
    return int(row[0])


def report(workload: Workload, steps: list[str]) -> Table:
    """Measure ``steps`` and tabulate them against the ETL."""
    console = Console()
    results: dict[str, tuple[float, float, int]] = {}
    for step in steps:
        seconds, peak = measure(step, workload)
        if step == "etl":
            scalar_rows = count_rows(workload.table_glob("scalar"))
            histogram_rows = count_rows(workload.table_glob("histogram"))
            client_days = count_rows(
                workload.table_glob("scalar"), "submission_date, client_id, branch, os"
            )
            console.print(
                f"etl: {scalar_rows:,} scalar rows ({client_days:,} client-days), "
                f"{histogram_rows:,} histogram rows"
            )
            written = scalar_rows + histogram_rows
        else:
            written = count_rows(workload.table_glob("statistics"))
        console.print(f"{step}: {seconds:.1f} s, {peak:,.0f} MB, {written:,} rows")
        results[step] = (seconds, peak, written)
    etl_seconds = results["etl"][0]
    rows = workload.generated()["rows"]
    assert isinstance(rows, dict)
    pings = " + ".join(f"{count:,} {table}" for table, count in rows.items())
    table = Table(
        title=f"Statistics of the demo project: {workload.clients:,} clients, {pings} pings, "
        f"{workload.days} days, {THREADS} threads"
    )
    for column in ("step", "wall s", "x ETL", "peak MB", "rows written"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for step, (seconds, peak, written) in results.items():
        table.add_row(
            step, f"{seconds:.1f}", f"{seconds / etl_seconds:.2f}", f"{peak:,.0f}", f"{written:,}"
        )
    return table


def main() -> None:
    """Parse arguments; as a child run one step, as the parent run them all."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--step", choices=sorted(STEPS))
    parser.add_argument("--skip-bootstrap", action="store_true")
    arguments = parser.parse_args()
    folder = arguments.folder or ROOT / ".data" / f"statistics-{arguments.clients}x{arguments.days}"
    workload = Workload(folder, arguments.clients, arguments.days)
    if arguments.step:
        STEPS[arguments.step](workload)
        return
    folder.mkdir(parents=True, exist_ok=True)
    prepare(workload)
    generated = workload.generated()
    rows = generated["rows"]
    assert isinstance(rows, dict)
    Console().print(
        f"data: {', '.join(f'{n:,} {t} pings' for t, n in rows.items())} generated in "
        f"{generated['seconds']:.0f} s"
    )
    methods = [m for m in METHODS if not (arguments.skip_bootstrap and m == "bootstrap")]
    steps = ["etl", *(f"statistics-{method}" for method in methods)]
    Console().print(report(workload, steps))


if __name__ == "__main__":
    main()
