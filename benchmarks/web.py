"""Latency of the web app under concurrent clients: a 50-metric dashboard and its statistics.

Data: a synthetic project (``web_data.py``): 50 metrics (40 scalar with mean and percentiles
1..99, 10 histogram with percentiles 1..99 and 50 buckets), branches control and treatment and
their comparisons, one dimension ``os`` with 3 values, 28 days: about 173,000 statistics rows (the
percentiles not configured packed, a row of lists per group) in
one Parquet file per day, written by opwatch's own writers and cached under
``benchmarks/.data/web-<metrics>x<days>``.

The real server (``python -m opwatch serve``) runs in a subprocess; ``--clients`` concurrent
clients (asyncio, one ``httpx2.AsyncClient`` with a keep-alive connection per client) each send
``--requests`` requests (default 50: 1,000 per endpoint) to one endpoint at a time, each timed
client-side from sending to the last byte of the body. A warm-up request per client precedes
each endpoint. Endpoints:

- ``dashboard page``: ``/projects/<slug>``, the server-rendered HTML only (its charts' JSON
  requests are the two statistics rows below, two per chart);
- ``statistics API``: ``/api/v1/projects/<slug>/statistics`` for a random metric, with the
  filters a chart sends: ``statistic=percentile&parameter=95`` for a histogram,
  ``statistic=mean`` for a scalar, and the dimension (``os=Windows``);
- ``statistics API, difference``: the same with ``comparison=difference``;
- ``projects API``: ``/api/v1/projects``.

Each endpoint's line also gives the CPU time per request of the server process (from
``/proc``, Linux) and of this client process: client and server share the machine's cores.

Baselines of the same run: ``/static/opwatch.css`` under the same load (the floor of the server
and the client: the "x baseline" column divides each p95 by its p95); and, in this process with
one client, the statistics query alone (opwatch's SQL on a warm DuckDB connection over the
Parquet files, what every read costs without a serving copy) and
``ResultsReader.statistics`` uncached (what the endpoint calls, from the serving copy),
so the part of the query, of the reader and of the web stack can be told apart; and the first
view after a publish, on a fresh engine each time, which attaches the serving copy.
Target: p95 under 300 ms for the dashboard page and the statistics API. The figures are
written to
``benchmarks/.data/web-<metrics>x<days>.json``.

Run: ``.venv/bin/python benchmarks/web.py [--metrics 50] [--clients 20] [--requests N]
[--days 28] [--direct-requests N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx2
import numpy as np
from rich.console import Console
from rich.table import Table
from web_data import (
    OS_VALUES,
    SLUG,
    Metric,
    Results,
    disk_bytes,
    prepare,
    results_settings,
)

ROOT = Path(__file__).resolve().parent
TARGET_MS = 300.0
TARGETED = (
    "dashboard page",
    "statistics API",
    "statistics API, difference",
    "statistics API, views never seen",
)
BASELINE = "static file (baseline)"
DIMENSION_FILTER = {"os": "Windows"}
PERCENTILE = "95"
STARTUP_SECONDS = 60.0
SEED = 1
WIDTH = 150
"""Columns the report needs to print its table unwrapped (also when piped)."""

Paths = Callable[[random.Random], str]
"""Draws the path of one request."""


@dataclass(frozen=True)
class Figures:
    """Latencies of one endpoint (seconds each) and the wall time of the whole load."""

    name: str
    latencies: tuple[float, ...]
    wall: float
    errors: int = 0
    response_bytes: int = 0
    server_cpu: float | None = None
    """CPU seconds the server process used meanwhile (all its threads; None: unknown)."""
    client_cpu: float | None = None
    """CPU seconds this (client) process used meanwhile."""

    def cpu_ms(self, seconds: float | None) -> float | None:
        """CPU milliseconds per request."""
        return None if seconds is None else seconds * 1000 / len(self.latencies)

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.latencies) * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall

    def summary(self) -> dict[str, float | int | str | None]:
        """The figures as the JSON file holds them."""
        return {
            "endpoint": self.name,
            "requests": len(self.latencies),
            "errors": self.errors,
            "p50_ms": self.percentile_ms(50),
            "p95_ms": self.percentile_ms(95),
            "p99_ms": self.percentile_ms(99),
            "max_ms": self.max_ms,
            "requests_per_second": self.per_second,
            "response_bytes": self.response_bytes,
            "server_cpu_ms_per_request": self.cpu_ms(self.server_cpu),
            "client_cpu_ms_per_request": self.cpu_ms(self.client_cpu),
        }


# --- what each request asks for ----------------------------------------------------------


def statistics_filters(metric: Metric) -> dict[str, str]:
    """A chart's default filters for ``metric``: p95 of a histogram, the mean of a scalar."""
    if metric.histogram:
        wanted = {"metric": metric.name, "statistic": "percentile", "parameter": PERCENTILE}
    else:
        wanted = {"metric": metric.name, "statistic": "mean"}
    return wanted | DIMENSION_FILTER


def statistics_paths(metrics: list[Metric], comparison: str | None) -> Paths:
    """Statistics requests for a random metric (of a comparison, if ``comparison``)."""
    base = f"/api/v1/projects/{SLUG}/statistics"

    def draw(rng: random.Random) -> str:
        wanted = statistics_filters(rng.choice(metrics))
        if comparison:
            wanted["comparison"] = comparison
        return str(httpx2.URL(base, params=wanted))

    return draw


def new_view_paths(metrics: list[Metric]) -> Paths:
    """Statistics requests that (almost) never repeat: a random metric, percentile (1 to 99)
    and os, so the reader's cache cannot answer them: the cost of a view nobody opened yet."""
    base = f"/api/v1/projects/{SLUG}/statistics"

    def draw(rng: random.Random) -> str:
        metric = rng.choice(metrics)
        wanted = {"metric": metric.name, "statistic": "percentile"}
        wanted |= {"parameter": str(rng.randint(1, 99)), "os": rng.choice(OS_VALUES)}
        return str(httpx2.URL(base, params=wanted))

    return draw


def fixed(path: str) -> Paths:
    """Requests that all ask for ``path``."""
    return lambda _rng: path


def endpoints(metrics: list[Metric]) -> dict[str, Paths]:
    """The measured endpoints, the baseline first."""
    return {
        BASELINE: fixed("/static/opwatch.css"),
        "dashboard page": fixed(f"/projects/{SLUG}"),
        "statistics API": statistics_paths(metrics, None),
        "statistics API, difference": statistics_paths(metrics, "difference"),
        "statistics API, views never seen": new_view_paths(metrics),
        "projects API": fixed("/api/v1/projects"),
    }


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    """The running server: where it answers, and its process (for its CPU time)."""

    base: str
    pid: int


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server's worker processes; Linux ``/proc``)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            for child in children.read_text().split():
                found += process_tree(int(child))
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` and its descendants so far (Linux
    ``/proc``; else None)."""
    if not Path(f"/proc/{pid}/stat").exists():
        return None
    total = 0.0
    for member in process_tree(pid):
        stat = Path(f"/proc/{member}/stat")
        if stat.exists():
            fields = stat.read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextmanager
def server(results: Results, log: Path) -> Iterator[Server]:
    """``opwatch serve`` over the results in a subprocess, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "opwatch", "serve", "--port", str(port)]
    command += ["--settings", str(results.settings_file)]
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process)
            yield Server(base, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    """Poll the projects API until it answers 200 (fail if the server exits)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            if httpx2.get(f"{base}/api/v1/projects", timeout=5).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {STARTUP_SECONDS:.0f} s")


# --- the load ----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients of one endpoint measured."""

    latencies: list[float]
    errors: int = 0
    response_bytes: int = 0


async def client_loop(
    client: httpx2.AsyncClient, paths: list[str], tally: Tally, measured: bool
) -> None:
    """One client: its requests one after the other, each timed to the body's last byte."""
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        elapsed = time.perf_counter() - started
        if not measured:
            continue
        tally.latencies.append(elapsed)
        tally.response_bytes = len(response.content)
        if response.status_code != 200:
            tally.errors += 1


async def load_endpoint(
    served: Server, name: str, draw: Paths, clients: int, requests: int
) -> Figures:
    """``clients`` concurrent clients each sending ``requests`` requests (after one warm-up);
    the CPU time of the server and of this process meanwhile."""
    rng = random.Random(f"{SEED}-{name}")
    plans = [[draw(rng) for _ in range(requests)] for _ in range(clients)]
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    tally = Tally([])
    async with httpx2.AsyncClient(base_url=served.base, limits=limits, timeout=120) as client:
        warm = [client_loop(client, [plan[0]], tally, False) for plan in plans]
        await asyncio.gather(*warm)
        server_cpu, client_cpu = cpu_seconds(served.pid), time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client, plan, tally, True) for plan in plans))
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_after = cpu_seconds(served.pid)
    used = None if server_cpu is None or server_after is None else server_after - server_cpu
    latencies = tuple(tally.latencies)
    return Figures(name, latencies, wall, tally.errors, tally.response_bytes, used, client_cpu)


def load_all(served: Server, metrics: list[Metric], clients: int, requests: int) -> list[Figures]:
    """Every endpoint under the same load, one after the other."""
    console = Console(width=max(Console().width, WIDTH))
    figures = []
    for name, draw in endpoints(metrics).items():
        measured = asyncio.run(load_endpoint(served, name, draw, clients, requests))
        console.print(progress(measured))
        figures.append(measured)
    return figures


def progress(measured: Figures) -> str:
    """One endpoint's load in a line: requests, p95, response size, CPU per request."""
    server, client = measured.cpu_ms(measured.server_cpu), measured.cpu_ms(measured.client_cpu)
    cpu = "" if server is None else f"server CPU {server:.1f} ms/request, "
    return (
        f"{measured.name}: {len(measured.latencies):,} requests in {measured.wall:.1f} s, "
        f"p95 {measured.percentile_ms(95):.0f} ms, {measured.response_bytes:,} bytes each, "
        f"{cpu}client CPU {client or 0:.1f} ms/request"
    )


# --- in-process baselines, one client ----------------------------------------------------


def time_calls(name: str, calls: list[Callable[[], object]]) -> Figures:
    """Each call timed alone, one after the other (after one untimed call)."""
    calls[0]()
    latencies = []
    started = time.perf_counter()
    for call in calls:
        begun = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - begun)
    return Figures(name, tuple(latencies), time.perf_counter() - started)


def drawn_filters(metrics: list[Metric], count: int) -> list[dict[str, str]]:
    """The filters of ``count`` statistics requests, drawn as the load draws them."""
    rng = random.Random(f"{SEED}-direct")
    return [statistics_filters(rng.choice(metrics)) for _ in range(count)]


def direct_query(results: Results, filters: list[dict[str, str]]) -> Figures:
    """The reader's statistics SQL alone, on one warm DuckDB connection over the Parquet."""
    from opwatch.config.resolved import result_table
    from opwatch.engines.duckdb import DuckDBEngine
    from opwatch.pipeline.statistics_rows import PACKED_PARAMETER

    engine = DuckDBEngine(results_settings(results))
    table = result_table(SLUG, "statistics")
    connection = duckdb.connect(":memory:")
    glob = engine.store.files_glob(table)
    view = engine.statements("parquet_view", view=table, path=glob)
    connection.execute(view[0])

    def query(wanted: dict[str, str]) -> Callable[[], object]:
        sql = engine.statements(
            "results_statistics",
            table=table,
            keys=["os"],
            filters=list(wanted),
            comparisons=False,
            by_build=False,
            series=False,
            packed=None,  # the filters name configured percentiles (rows) or means
            packed_parameter=PACKED_PARAMETER,
            exclude_packed=False,
        )[0]
        return lambda: connection.execute(sql, list(wanted.values())).fetchall()

    return time_calls("duckdb query (in-process, 1 client)", [query(w) for w in filters])


def direct_reader(results: Results, filters: list[dict[str, str]]) -> Figures:
    """``ResultsReader.statistics`` as the endpoint calls it, in this process."""
    from opwatch.engines import create_engine
    from opwatch.pipeline.state import RunState
    from opwatch.results import ResultsReader, StatisticsFilter

    settings = results_settings(results)
    state = RunState.in_folder(settings.engine.results)
    reader = ResultsReader(create_engine(settings).reads, state, cache_rows=0)  # every call queries

    def read(wanted: dict[str, str]) -> Callable[[], object]:
        return lambda: reader.statistics(SLUG, StatisticsFilter(wanted))

    calls = [read(w) for w in filters]
    return time_calls("ResultsReader.statistics, uncached (in-process, 1 client)", calls)


def first_reads(results: Results, filters: list[dict[str, str]], count: int = 5) -> Figures:
    """``ResultsReader.statistics`` on a fresh engine each time: the first view after a
    server starts or a run publishes, which attaches the table's serving copy."""
    from opwatch.engines import create_engine
    from opwatch.results import ResultsReader, StatisticsFilter

    settings = results_settings(results)
    latencies = []
    started = time.perf_counter()
    for wanted in filters[:count]:
        engine = create_engine(settings)
        reader = ResultsReader(engine.reads)
        reader.project(SLUG)  # what the dashboard page asks first (not timed)
        begun = time.perf_counter()
        reader.statistics(SLUG, StatisticsFilter(wanted))
        latencies.append(time.perf_counter() - begun)
        engine.close()
    name = "ResultsReader.statistics, first view (in-process, 1 client)"
    return Figures(name, tuple(latencies), time.perf_counter() - started)


# --- report ------------------------------------------------------------------------------


def report_table(figures: list[Figures], title: str) -> Table:
    """One row per endpoint; p95 relative to the static file's."""
    floor = next(f for f in figures if f.name == BASELINE).percentile_ms(95)
    table = Table(title=title)
    columns = ("endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "requests/s")
    for column in (*columns, "x baseline"):
        left = column == "endpoint"
        table.add_column(column, justify="left" if left else "right", no_wrap=left)
    for measured in figures:
        table.add_row(
            measured.name,
            f"{len(measured.latencies):,}",
            *(f"{measured.percentile_ms(q):.1f}" for q in (50, 95, 99)),
            f"{measured.max_ms:.1f}",
            f"{measured.per_second:,.0f}",
            f"{measured.percentile_ms(95) / floor:.1f}",
        )
    return table


def target_met(figures: list[Figures]) -> bool:
    """Whether every targeted endpoint's p95 is under the target, without errors."""
    targeted = [f for f in figures if f.name in TARGETED]
    return all(f.percentile_ms(95) < TARGET_MS and f.errors == 0 for f in targeted)


def write_json(path: Path, figures: list[Figures], context: dict[str, object]) -> None:
    """The run's figures and settings as JSON."""
    document = context | {"endpoints": [f.summary() for f in figures]}
    path.write_text(json.dumps(document, indent=2) + "\n")


def describe(results: Results, built: dict[str, object]) -> str:
    """The data set in a line: rows, files and bytes on disk."""
    files = len(list((results.results / "tables").rglob("*.parquet")))
    megabytes = disk_bytes(results.results) / 1e6
    rows = built["rows"]
    assert isinstance(rows, int)
    return (
        f"data: {results.metrics} metrics x {results.days} days: {rows:,} statistics rows, "
        f"{files} Parquet files, {megabytes:.1f} MB on disk "
        f"(built in {built['seconds']:.1f} s, cached in {results.folder})"
    )


def source_version() -> str:
    """The checked-out commit, with "+changes" when src/ differs from it (figures of a
    working tree are only comparable with the same tree)."""
    git = ["git", "-C", str(ROOT.parent)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True, text=True)
    return commit.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def run(arguments: argparse.Namespace) -> None:
    """Build or reuse the data, load the server, print and save the figures."""
    started = time.perf_counter()
    console = Console(width=max(Console().width, WIDTH))
    size = f"web-{arguments.metrics}x{arguments.days}"
    results = Results(ROOT / ".data" / size, arguments.metrics, arguments.days)
    built = prepare(results)
    console.print(describe(results, built))
    metrics = results.project_metrics()
    with server(results, ROOT / ".data" / f"{size}.server.log") as served:
        figures = load_all(served, metrics, arguments.clients, arguments.requests)
    filters = drawn_filters(metrics, arguments.direct_requests)
    figures += [direct_query(results, filters), direct_reader(results, filters)]
    figures.append(first_reads(results, filters))
    title = (
        f"Web app latency: {arguments.metrics} metrics x {arguments.days} days, "
        f"{arguments.clients} concurrent clients"
    )
    console.print(report_table(figures, title))
    met = target_met(figures)
    for measured in (f for f in figures if f.name in TARGETED):
        p95 = measured.percentile_ms(95)
        verdict = "met" if p95 < TARGET_MS and not measured.errors else "not met"
        console.print(f"target p95 < {TARGET_MS:.0f} ms, {measured.name}: {p95:.0f} ms, {verdict}")
    console.print(f"target for all of them: {'met' if met else 'not met'}")
    wall = time.perf_counter() - started
    console.print(f"total wall time: {wall:.1f} s")
    context: dict[str, object] = {key: value for key, value in vars(arguments).items()}
    context |= {"rows": built["rows"], "disk_bytes": disk_bytes(results.results)}
    context |= {"target_ms": TARGET_MS, "target_met": met, "wall_seconds": wall}
    context |= {"commit": source_version()}
    write_json(ROOT / ".data" / f"{size}.json", figures, context)


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--metrics", type=int, default=50, help="metrics of the project")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=50, help="requests per client and endpoint")
    parser.add_argument("--days", type=int, default=28, help="submission dates")
    parser.add_argument(
        "--direct-requests", type=int, default=200, help="in-process queries of each baseline"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
