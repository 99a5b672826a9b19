"""Latency and memory of ``opwatch serve`` over a real results folder (the corpus demo's).

Where ``web.py`` loads one synthetic project, this loads the results the README's main job
writes (``opwatch demo --corpus ...``: 33 projects, two build-id fission projects among
them) as a new user would: the server is started, then ``--clients`` concurrent clients ask
views nobody opened before for ``--seconds``: each request a random project, one of its
metric's statistics, a random percentile (1 to 99) for percentiles, a random value of each
dimension, the branches or their differences, as the dashboard's charts ask; one request in
ten is a dashboard page. Measured per request from sending to the body's last byte; the
server's peak resident memory from ``/proc`` (VmHWM, summed over its worker processes).
Before the load, the first view of the largest build-id project (its dashboard page, then one
chart's rows) on the fresh server. Before each server starts, the serving copies are read once,
so that every server finds them in the operating system's cache.

``--src`` runs another checkout's server on the same results (``--src /tmp/before/src``), so
the table's "before" comes from the same machine and run; ``--workers N`` (repeatable) runs
this checkout's server with N processes (``serve.workers``) instead of its default.
``--scale N`` first writes a copy of the results with every statistics table N times larger
(each metric repeated N times under new names, ``projects_v1`` listing them) into ``--scaled
FOLDER`` and serves that.

Run: ``.venv/bin/python benchmarks/web_results.py --results opwatch-demo/results
[--clients 20] [--seconds 30] [--src PATH] [--workers N ...] [--scale 10 --scaled FOLDER]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from web import cpu_seconds, free_port, process_tree, source_version, wait_until_up

ROOT = Path(__file__).resolve().parent
TARGET_MS = 300.0
FIRST_VIEW_TARGET_MS = 1000.0
MEMORY_TARGET_MB = 1500.0
PAGE_SHARE = 0.1
SEED = 7


@contextmanager
def serving(
    results: Path, src: str | None, log: Path, workers: int | None = None
) -> Iterator[tuple[str, int]]:
    """``opwatch serve`` over ``results`` (code of ``src`` if given; ``workers`` processes if
    given, else the server's default), once it answers."""
    settings = results.parent / f"{results.name}.serve.toml"
    text = f'[engine]\nresults = "{results}"\n'
    settings.write_text(text + (f"[serve]\nworkers = {workers}\n" if workers else ""))
    port = free_port()
    command = [sys.executable, "-m", "opwatch", "serve", "--port", str(port)]
    environment = dict(os.environ)
    if src:
        environment["PYTHONPATH"] = src
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "--settings", str(settings)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process)
            yield base, process.pid
        finally:
            process.terminate()
            process.wait(timeout=60)


def peak_mb(pid: int) -> float:
    """The peak resident memory of process ``pid`` so far, with its worker processes' (the
    sum of their Linux ``VmHWM``, an upper bound of what they held at once)."""
    total = 0.0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def project_rows(results: Path) -> list[dict[str, Any]]:
    """Every project of ``projects_v1``: slug, x-axis, dimensions, metrics (read directly,
    so that drawing the views does not warm the server)."""
    table = results / "tables" / "projects_v1" / "data.parquet"
    query = f"SELECT slug, xaxis, dimensions, metrics FROM '{table}'"
    rows = duckdb.connect().execute(query).fetchall()
    return [
        {"slug": s, "xaxis": x, "dimensions": list(d or ()), "metrics": json.loads(m)}
        for s, x, d, m in rows
    ]


def dimension_values(results: Path, slug: str, dimensions: list[str]) -> dict[str, list[str]]:
    """Each dimension's values in the statistics (read directly, as above)."""
    from opwatch.config.resolved import result_table

    glob = results / "tables" / result_table(slug, "statistics") / "*" / "data.parquet"
    connection = duckdb.connect()
    values = {}
    for name in dimensions:
        query = f"SELECT DISTINCT CAST(\"{name}\" AS VARCHAR) FROM read_parquet('{glob}')"
        values[name] = [v for (v,) in connection.execute(query).fetchall() if v is not None]
    return values


def charts(project: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(metric, statistic, parameter) of each chart; ``None`` parameter: draw a percentile."""
    found = []
    for metric in project["metrics"]:
        for statistic in metric["statistics"]:
            name = statistic["name"]
            if name == "histogram":
                continue
            parameter = statistic["parameters"].get("denominator_metric")
            found.append((metric["name"], name, None if name == "percentile" else parameter))
        if metric["type"] == "histogram":
            found.append((metric["name"], "percentile", None))
    return found


def draw_requests(results: Path, count: int) -> list[str]:
    """``count`` request paths over every project, (almost) never the same twice."""
    rng = random.Random(SEED)
    projects = [p for p in project_rows(results) if charts(p)]
    values = {p["slug"]: dimension_values(results, p["slug"], p["dimensions"]) for p in projects}
    paths = []
    for _ in range(count):
        project = rng.choice(projects)
        slug = project["slug"]
        if rng.random() < PAGE_SHARE:
            paths.append(f"/projects/{slug}")
            continue
        metric, statistic, parameter = rng.choice(charts(project))
        wanted = {"metric": metric, "statistic": statistic}
        if statistic == "percentile":
            parameter = str(rng.randint(1, 99))
        if parameter:
            wanted["parameter"] = parameter
        for name, choices in values[slug].items():
            if choices:
                wanted[name] = rng.choice(choices)
        if rng.random() < 0.5:
            wanted["comparison"] = "difference"
        url = httpx2.URL(f"/api/v1/projects/{slug}/statistics", params=wanted)
        paths.append(str(url))
    return paths


def largest_build_project(results: Path) -> tuple[str, str]:
    """The build-id project with the most statistics bytes, and one of its chart's paths."""
    from opwatch.config.resolved import result_table

    def size(slug: str) -> int:
        folder = results / "tables" / result_table(slug, "statistics")
        return sum(p.stat().st_size for p in folder.rglob("*.parquet"))

    builds = [p for p in project_rows(results) if p["xaxis"] == "build_id" and charts(p)]
    project = max(builds, key=lambda p: size(p["slug"]))
    metric, statistic, _ = charts(project)[0]
    wanted = {"metric": metric, "statistic": statistic}
    if statistic == "percentile":
        wanted["parameter"] = "50"
    path = httpx2.URL(f"/api/v1/projects/{project['slug']}/statistics", params=wanted)
    return project["slug"], str(path)


async def load(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` clients taking the next path from a shared list until ``seconds`` pass."""
    latencies: dict[str, list[float]] = {"statistics": [], "page": []}
    errors: dict[int, int] = {}
    queue = iter(paths)
    deadline = time.perf_counter() + seconds
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def one(client: httpx2.AsyncClient) -> None:
        for path in queue:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            response = await client.get(path)
            kind = "page" if path.startswith("/projects/") else "statistics"
            latencies[kind].append(time.perf_counter() - started)
            if response.status_code != 200:
                errors[response.status_code] = errors.get(response.status_code, 0) + 1

    started = time.perf_counter()
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=600) as client:
        await asyncio.gather(*(one(client) for _ in range(clients)))
    return {"latencies": latencies, "errors": errors, "wall": time.perf_counter() - started}


def warm_page_cache(results: Path) -> None:
    """Read every serving copy once, so each server measured finds the files in the
    operating system's cache, as the run that just wrote them leaves them: otherwise the
    first server of a run pays the disk reads and the later ones do not (measured: 104 vs
    140 requests/s for the same code)."""
    for path in sorted((results / "serving").glob("*")):
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def first_view(base: str, slug: str, path: str) -> tuple[float, float]:
    """Milliseconds of the dashboard page of ``slug``, then of ``path``, on a fresh server."""
    with httpx2.Client(base_url=base, timeout=600) as client:
        started = time.perf_counter()
        assert client.get(f"/projects/{slug}").status_code == 200
        page = time.perf_counter() - started
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        return page * 1000, (time.perf_counter() - started) * 1000


def measure(
    results: Path, src: str | None, workers: int | None, arguments: argparse.Namespace
) -> dict[str, Any]:
    """One server's figures: first view, the load, peak memory, CPU."""
    paths = draw_requests(results, 200_000)
    slug, chart = largest_build_project(results)
    log = ROOT / ".data" / "web-results.server.log"
    log.parent.mkdir(exist_ok=True)
    warm_page_cache(results)
    with serving(results, src, log, workers) as (base, pid):
        page_ms, chart_ms = first_view(base, slug, chart)
        cpu = cpu_seconds(pid)
        figures = asyncio.run(load(base, paths, arguments.clients, arguments.seconds))
        used = cpu_seconds(pid)
        figures |= {"peak_mb": peak_mb(pid), "first_page_ms": page_ms, "first_chart_ms": chart_ms}
        figures["server_cpu"] = None if cpu is None or used is None else used - cpu
    figures["largest_build_project"] = slug
    return figures


def summary_rows(name: str, figures: dict[str, Any]) -> list[list[str]]:
    """Table rows of one server: statistics and pages."""
    rows = []
    for kind in ("statistics", "page"):
        values = np.array(figures["latencies"][kind]) * 1000
        if not len(values):
            continue
        rows.append(
            [
                name,
                kind,
                f"{len(values):,}",
                f"{len(values) / figures['wall']:.1f}",
                f"{np.percentile(values, 50):,.0f}",
                f"{np.percentile(values, 95):,.0f}",
                f"{values.max():,.0f}",
                f"{figures['first_page_ms']:,.0f} + {figures['first_chart_ms']:,.0f}",
                f"{figures['peak_mb']:,.0f}",
                json.dumps(figures["errors"]) if figures["errors"] else "0",
            ]
        )
    return rows


def scale_results(results: Path, target: Path, factor: int) -> None:
    """A copy of ``results`` whose statistics tables hold every metric ``factor`` times
    (``<metric>_xK`` for K ≥ 1), with ``projects_v1`` listing the copies."""
    from opwatch.config.resolved import result_table

    connection = duckdb.connect()
    connection.execute("SET preserve_insertion_order = false")
    (target / "tables").mkdir(parents=True, exist_ok=True)
    for project in project_rows(results):
        table = result_table(project["slug"], "statistics")
        for day_file in sorted((results / "tables" / table).glob("*/data.parquet")):
            out = target / "tables" / table / day_file.parent.name / "data.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            connection.execute(
                f"""COPY (SELECT * EXCLUDE (k) REPLACE (CASE WHEN k = 0 THEN metric
                        ELSE metric || '_x' || k END AS metric)
                    FROM read_parquet('{day_file}'), range({factor}) copies(k))
                TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 8192)"""
            )
        (target / "tables" / table / ".changes").write_text(f"scaled-{factor}")
    projects = results / "tables" / "projects_v1" / "data.parquet"
    rows = pq.read_table(projects).to_pylist()
    for row in rows:
        metrics = json.loads(row["metrics"])
        row["metrics"] = json.dumps(
            metrics + [m | {"name": f"{m['name']}_x{k}"} for k in range(1, factor) for m in metrics]
        )
    out = target / "tables" / "projects_v1" / "data.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(projects)), out)


def publish_serving_copies(results: Path) -> None:
    """The serving copies a run publishes, for results written without them."""
    from opwatch.config.resolved import result_table
    from opwatch.config.settings import EngineSettings, Settings
    from opwatch.engines.duckdb import DuckDBEngine
    from opwatch.pipeline.serving import serving_order
    from opwatch.pipeline.statistics_rows import PACKED_LISTS

    engine = DuckDBEngine(Settings(engine=EngineSettings(results=results)))
    for project in project_rows(results):
        engine.results.write_serving(
            result_table(project["slug"], "statistics"),
            order_by=serving_order(tuple(project["dimensions"])),
            facets=(*project["dimensions"], "branch"),
            latest_only=project["xaxis"] == "build_id",
            packed=PACKED_LISTS,
        )
    engine.close()


def main() -> None:
    """Parse the options, measure, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="a results folder")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load")
    parser.add_argument("--src", action="append", default=[], help="another checkout's src")
    parser.add_argument("--scale", type=int, default=1, help="make the statistics N times larger")
    parser.add_argument("--scaled", type=Path, help="where the scaled copy goes")
    parser.add_argument(
        "--workers", type=int, action="append", default=[], help="this checkout's processes"
    )
    arguments = parser.parse_args()
    results = arguments.results.resolve()
    console = Console(width=160)
    if arguments.scale > 1:
        if arguments.scaled is None:
            raise SystemExit("--scale needs --scaled FOLDER")
        started = time.perf_counter()
        scale_results(results, arguments.scaled, arguments.scale)
        results = arguments.scaled.resolve()
        console.print(f"scaled {arguments.scale}x in {time.perf_counter() - started:.0f} s")
    publish_serving_copies(results)
    statistics_mb = sum(p.stat().st_size for p in results.glob("tables/*_statistics/**/*")) / 1e6
    console.print(f"{results}: {statistics_mb:,.0f} MB of statistics tables")
    table = Table(
        title=f"opwatch serve over {results.name}: {arguments.clients} clients x "
        f"{arguments.seconds:.0f} s, views never opened before"
    )
    for column in ("server", "requests", "count", "per s", "p50 ms", "p95 ms", "max ms"):
        table.add_column(column, justify="left" if column in ("server", "requests") else "right")
    for column in ("first view ms (page + chart)", "peak MB", "errors"):
        table.add_column(column, justify="right")
    document: dict[str, Any] = {"results": str(results), "commit": source_version()}
    servers = [(None, workers) for workers in arguments.workers or [None]]
    for src, workers in [*servers, *((src, None) for src in arguments.src)]:
        name = "this checkout" if src is None else src
        name += f", {workers} process{'es' if workers > 1 else ''}" if workers else ""
        figures = measure(results, src, workers, arguments)
        document[name] = figures | {"latencies": None}
        for row in summary_rows(name, figures):
            table.add_row(*row)
        console.print(table)
    out = ROOT / ".data" / f"web-results-{results.parent.name}.json"
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
