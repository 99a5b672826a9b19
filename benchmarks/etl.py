"""The ETL on ~10 M pings: wall time and peak memory, beside a DuckDB scan and pandas.

Data: opwatch's own generator, 1,000,000 clients x 14 days of Firefox desktop main pings
(about 10 M pings) with 10 scalar and 3 histogram probes (50 buckets each, JSON strings as
Firefox sends them), cached under ``benchmarks/.data/`` by size. Each step runs in its own
process limited to 2 threads, so its peak memory is its own:

- ``scan``: one DuckDB scan of the columns the ETL reads (string lengths, scalar sums);
- ``parse``: the same scan parsing every histogram with ``mozfun.hist.extract`` (the floor
  of any ETL that must read JSON histograms);
- ``etl``: the ETL alone of every day (``Runner(..., statistics=False)``): population,
  per-client aggregation, normalized histograms, the ``_scalar`` and ``_histogram`` tables
  written as Parquet;
- ``statistics``: the statistics step alone over the tables ``etl`` wrote, a batch of days
  at a time as a backfill does;
- ``opwatch``: ``opwatch backfill`` of every day, from scratch: ETL + statistics (and the
  serving copy, run state and ``projects_v1`` a run writes), within the default
  ``engine.memory_limit`` (2 GB);
- ``unbounded``: the same backfill with ``engine.memory_limit`` at 80 % of RAM (DuckDB's own
  default): what the bound costs in time;
- ``pandas``: a straightforward pandas implementation of the same two tables, day by day.

Run: ``.venv/bin/python benchmarks/etl.py [--clients N] [--days N] [--skip-pandas]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
from measure_process import measure_step
from pipeline_steps import run_etl_only, run_statistics_only
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent
HISTOGRAMS = ("gc_ms", "child_process_launch_ms", "time_to_first_interaction_ms")
SCALARS = (
    "browser_engagement_total_uri_count",
    "browser_engagement_active_ticks",
    "browser_engagement_tab_open_event_count",
    "browser_engagement_max_concurrent_tab_count",
    "browser_engagement_max_concurrent_window_count",
    "browser_engagement_unfiltered_uri_count",
    "browser_engagement_unique_domains_count",
    "browser_engagement_window_open_event_count",
    "browser_engagement_tab_reload_count",
    "browser_engagement_tab_unload_count",
)
THREADS = 2
SLUG = "etl-benchmark"


@dataclass(frozen=True)
class Workload:
    """The generated data set and the project over it."""

    folder: Path
    clients: int
    days: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def main_glob(self) -> str:
        return str(self.data / "main" / "*.parquet")


def project_toml() -> str:
    """The benchmark project: 10 summed scalars and 3 histograms of the main ping, by OS."""
    lines = [
        "[project]",
        'name = "ETL benchmark"',
        'platform = "firefox_desktop"',
        'xaxis = "submission_date"',
        f"metrics = {json.dumps([*SCALARS, *HISTOGRAMS])}",
        "skip_default_metrics = true",
        "[project.population]",
        'data_source = "main"',
        "monitor_entire_population = true",
        'dimensions = ["os"]',
        "[dimensions.os]",
        'data_source = "main"',
        'select_expression = "normalized_os"',
        "[data_sources.main]",
        'from_expression = "mozdata.telemetry.main"',
        'submission_date_column = "DATE(submission_timestamp)"',
    ]
    for name in SCALARS:
        lines += [
            f"[metrics.{name}]",
            'data_source = "main"',
            f'select_expression = "SUM(payload.processes.parent.scalars.{name})"',
            f"[metrics.{name}.statistics]",
            "mean = {}",
        ]
    for name in HISTOGRAMS:
        lines += [
            f"[metrics.{name}]",
            'data_source = "main"',
            'type = "histogram"',
            "select_expression = "
            f'"ARRAY_AGG(mozfun.hist.extract(payload.histograms.{name}) IGNORE NULLS)"',
            f"[metrics.{name}.statistics]",
            "percentile = {}",
        ]
    return "\n".join(lines) + "\n"


def prepare(workload: Workload) -> None:
    """Generate the data (once per size) and write the project and settings beside it."""
    from opwatch.demo.telemetry import DemoSpec, generate

    spec = DemoSpec(
        clients=workload.clients,
        days=workload.days,
        tables=frozenset({"main"}),
        main_histograms=HISTOGRAMS,
        main_scalars=SCALARS,
        experiments={},
    )
    marker = workload.folder / "generated.json"
    if not marker.exists():
        started = time.perf_counter()
        generated = generate(spec, workload.data)
        seconds = time.perf_counter() - started
        marker.write_text(
            json.dumps({"rows": generated.rows, "seconds": seconds, "tables": generated.tables})
        )
    (workload.folder / "opmon").mkdir(exist_ok=True)
    (workload.folder / "opmon" / f"{SLUG}.toml").write_text(project_toml())
    settings = (
        '[config]\nprojects = "opmon"\n'
        f'[engine]\nresults = "results"\nthreads = {THREADS}\nbatch_days = 7\n'
        f'[tables]\n"mozdata.telemetry.main" = "{workload.main_glob}"\n'
    )
    (workload.folder / "opwatch.toml").write_text(settings)
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    unbounded = settings.replace("[tables]", f'memory_limit = "{ram_mb * 4 // 5}MB"\n[tables]')
    (workload.folder / "unbounded.toml").write_text(unbounded)


# --- steps, each run in a child process ----------------------------------------------------


def step_scan(workload: Workload) -> None:
    """One DuckDB scan reading every column the ETL reads."""
    lengths = " + ".join(f"length(payload.histograms.{h})" for h in HISTOGRAMS)
    sums = ", ".join(f"sum(payload.processes.parent.scalars.{s})" for s in SCALARS)
    _duckdb().execute(
        f"SELECT count(DISTINCT client_id), sum({lengths}), {sums}, max(submission_timestamp),"
        f" count(normalized_os) FROM read_parquet('{workload.main_glob}')"
    ).fetchall()


def step_parse(workload: Workload) -> None:
    """The scan, also parsing every histogram's JSON."""
    from opwatch.engines.compat import compat_statements

    connection = _duckdb()
    for statement in compat_statements("duckdb"):
        connection.execute(statement)
    parsed = " + ".join(
        f'len(mozfun_hist_extract(payload.histograms.{h})."values")' for h in HISTOGRAMS
    )
    connection.execute(f"SELECT sum({parsed}) FROM read_parquet('{workload.main_glob}')").fetchall()


def step_etl(workload: Workload) -> None:
    """The ETL alone of every day, from scratch, in this process."""
    import shutil

    from opwatch.config import load_project
    from opwatch.config.settings import load_settings

    shutil.rmtree(workload.folder / "results", ignore_errors=True)
    os.chdir(workload.folder)
    project = load_project(Path("opmon") / f"{SLUG}.toml")
    run_etl_only(load_settings(Path("opwatch.toml")), project, _dates(workload))


def step_statistics(workload: Workload) -> None:
    """The statistics step alone over the tables ``etl`` wrote, a batch of days at a time."""
    from opwatch.config import load_project
    from opwatch.config.settings import load_settings

    os.chdir(workload.folder)
    settings = load_settings(Path("opwatch.toml"))
    project = load_project(Path("opmon") / f"{SLUG}.toml")
    run_statistics_only(settings, project, _dates(workload), settings.engine.batch_days)


def step_opwatch(workload: Workload, settings: str = "opwatch.toml") -> None:
    """``opwatch backfill`` of every day, from scratch, in this process (its memory counted)."""
    import shutil

    from opwatch.cli import app

    shutil.rmtree(workload.folder / "results", ignore_errors=True)
    start, end = _period(workload)
    os.chdir(workload.folder)
    arguments = ["backfill", "--start", start, "--end", end, "--settings", settings, "--quiet"]
    app(arguments, standalone_mode=False)


def step_unbounded(workload: Workload) -> None:
    """The backfill with DuckDB's own memory limit (80 % of RAM) instead of opwatch's."""
    step_opwatch(workload, "unbounded.toml")


def step_pandas(workload: Workload) -> None:
    """The same two tables with pandas and json, one day at a time."""
    import pandas as pd
    import pyarrow.parquet as pq

    out = workload.folder / "pandas"
    out.mkdir(exist_ok=True)
    columns = ["client_id", "normalized_os"]
    columns += [f"payload.processes.parent.scalars.{s}" for s in SCALARS]
    columns += [f"payload.histograms.{h}" for h in HISTOGRAMS]
    for path in sorted((workload.data / "main").glob("*.parquet")):
        frame = pq.read_table(path, columns=columns).flatten().to_pandas()
        frame.columns = [c.split(".")[-1] for c in frame.columns]
        keys = ["client_id", "normalized_os"]
        scalars = frame.groupby(keys, dropna=False)[list(SCALARS)].sum(min_count=1)
        long = scalars.reset_index().melt(id_vars=keys, var_name="name", value_name="value")
        long.to_parquet(out / f"scalar-{path.stem}.parquet")
        histograms = []
        for name in HISTOGRAMS:
            present = frame[[*keys, name]].dropna(subset=[name])
            rows = [
                (client, os_name, int(bucket), count)
                for client, os_name, text in present.itertuples(index=False)
                for bucket, count in json.loads(text)["values"].items()
            ]
            entries = pd.DataFrame(rows, columns=[*keys, "key", "count"])
            summed = entries.groupby([*keys, "key"], dropna=False)["count"].sum().reset_index()
            summed["value"] = summed["count"] / summed.groupby(keys, dropna=False)[
                "count"
            ].transform("sum")
            summed["probe"] = name
            histograms.append(summed)
        pd.concat(histograms).to_parquet(out / f"histogram-{path.stem}.parquet")


STEPS: dict[str, Callable[[Workload], None]] = {
    "scan": step_scan,
    "parse": step_parse,
    "etl": step_etl,
    "statistics": step_statistics,
    "opwatch": step_opwatch,
    "unbounded": step_unbounded,
    "pandas": step_pandas,
}


def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": THREADS})


def _dates(workload: Workload) -> list[date]:
    """Every generated day, in order."""
    start, end = (date.fromisoformat(day) for day in _period(workload))
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _period(workload: Workload) -> tuple[str, str]:
    marker = json.loads((workload.folder / "generated.json").read_text())
    assert marker["rows"]["main"] > 0
    files = sorted((workload.data / "main").glob("*.parquet"))
    return files[0].stem, files[-1].stem


# --- the parent: run each step in a child, measure, print ------------------------------------


def measure(step: str, workload: Workload) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of ``step`` in a fresh process."""
    arguments = ["--step", step, "--folder", str(workload.folder)]
    arguments += ["--clients", str(workload.clients), "--days", str(workload.days)]
    return measure_step(__file__, arguments, THREADS)


def report(workload: Workload, steps: list[str]) -> Table:
    """Measure ``steps`` and tabulate them against the scan."""
    marker = json.loads((workload.folder / "generated.json").read_text())
    pings = marker["rows"]["main"]
    results = {step: measure(step, workload) for step in steps}
    scan_seconds, parse_seconds = results["scan"][0], results["parse"][0]
    table = Table(
        title=f"ETL of {pings:,} pings, {workload.clients:,} clients, {workload.days} days, "
        f"{len(SCALARS)} scalars + {len(HISTOGRAMS)} histograms, {THREADS} threads"
    )
    for column in ("step", "wall s", "x scan", "x parse", "peak MB", "pings/s"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for step, (seconds, peak) in results.items():
        table.add_row(
            step,
            f"{seconds:.1f}",
            f"{seconds / scan_seconds:.1f}",
            f"{seconds / parse_seconds:.1f}",
            f"{peak:,.0f}",
            f"{pings / seconds:,.0f}",
        )
    return table


def main() -> None:
    """Parse arguments; as a child run one step, as the parent run them all."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--step", choices=sorted(STEPS))
    parser.add_argument("--skip-pandas", action="store_true")
    arguments = parser.parse_args()
    folder = arguments.folder or ROOT / ".data" / f"etl-{arguments.clients}x{arguments.days}"
    workload = Workload(folder, arguments.clients, arguments.days)
    if arguments.step:
        STEPS[arguments.step](workload)
        return
    folder.mkdir(parents=True, exist_ok=True)
    prepare(workload)
    generated = json.loads((folder / "generated.json").read_text())
    Console().print(
        f"data: {generated['rows']['main']:,} pings generated in {generated['seconds']:.0f} s"
    )
    steps = ["scan", "parse", "etl", "statistics", "opwatch", "unbounded"]
    steps += [] if arguments.skip_pandas else ["pandas"]
    Console().print(report(workload, steps))


if __name__ == "__main__":
    main()
