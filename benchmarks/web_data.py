"""The web benchmark's results folder: a synthetic project written by opwatch's own writers.

One project (``web-benchmark``, x-axis submission_date, branches control and treatment, one
dimension ``os`` with 3 values) with ``metrics`` metrics: four in five scalar (``mean`` and
``percentile`` 1..99), one in five histogram (``percentile`` 1..99 and a ``histogram`` row per
bucket, 50 buckets), and the treatment's ``difference`` and ``relative_difference`` to control
for the configured percentiles (25, 50, 75, 95) and the mean, per day and OS. Written as a run
writes them: the statistics collected by the statistics step's ``Rows`` (the percentiles not
configured packed, a row of lists per group), the ``projects_v1`` row by
``Engine.replace_table``, the ``_statistics`` partitions by ``Engine.write_rows`` (one Parquet
file per day) with their serving copy, and a successful day per date in the run state. Built
once per size; a marker file records what was built.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from opwatch.config import Settings
    from opwatch.pipeline.state import DayRun
    from opwatch.stats.intervals import Estimates

SLUG = "web-benchmark"
BRANCHES = ("control", "treatment")
REFERENCE = "control"
OS_VALUES = ("Windows", "Mac", "Linux")
COMPARISONS = ("difference", "relative_difference")
CONFIGURED_PERCENTILES = (25, 50, 75, 95)
ALL_PERCENTILES = tuple(range(1, 100))
BUCKETS = 50
CATEGORIES = ("performance", "stability", "engagement", "memory", "network")
START = date(2026, 1, 1)
SEED = 7


@dataclass(frozen=True)
class Metric:
    """One synthetic metric: its name and whether it is a histogram."""

    name: str
    histogram: bool

    def cells(self) -> list[tuple[str, list[str | None]]]:
        """(statistic, parameters) of every statistic a branch has per day and OS."""
        percentiles: list[str | None] = [str(p) for p in ALL_PERCENTILES]
        if self.histogram:
            return [("percentile", percentiles), ("histogram", [str(b) for b in bucket_bounds()])]
        return [("mean", [None]), ("percentile", percentiles)]

    def compared(self) -> list[tuple[str, list[str | None]]]:
        """(statistic, parameters) of every comparison per day, OS and comparison."""
        percentiles: list[str | None] = [str(p) for p in CONFIGURED_PERCENTILES]
        if self.histogram:
            return [("percentile", percentiles)]
        return [("mean", [None]), ("percentile", percentiles)]

    def config(self, index: int) -> dict[str, Any]:
        """The metric as ``projects_v1.metrics`` holds it (``metadata._metric``'s shape)."""
        percentile = {
            "name": "percentile",
            "parameters": {"percentiles": list(CONFIGURED_PERCENTILES), "remove_nulls": False},
        }
        statistics = [percentile] if self.histogram else [{"name": "mean", "parameters": {}}]
        if not self.histogram:
            statistics.append(percentile)
        kind = "histogram" if self.histogram else "scalar"
        return {
            "name": self.name,
            "type": kind,
            "friendly_name": self.name.replace("_", " ").capitalize(),
            "description": f"Synthetic {kind} metric number {index + 1} of the web benchmark.",
            "category": CATEGORIES[index % len(CATEGORIES)],
            "data_source": "main",
            "select_expression": f"SUM(payload.{self.name})",
            "bigger_is_better": None,
            "statistics": statistics,
        }


@dataclass(frozen=True)
class Results:
    """The benchmark's results folder and the shape of the project in it."""

    folder: Path
    metrics: int
    days: int

    @property
    def results(self) -> Path:
        return self.folder / "results"

    @property
    def settings_file(self) -> Path:
        return self.folder / "opwatch.toml"

    @property
    def marker(self) -> Path:
        return self.folder / "built.json"

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(START + timedelta(days=n) for n in range(self.days))

    def project_metrics(self) -> list[Metric]:
        """Four scalar metrics for each histogram metric, named by kind and number."""
        histograms = self.metrics // 5
        scalars = [Metric(f"scalar_{n:03d}", False) for n in range(self.metrics - histograms)]
        return scalars + [Metric(f"histogram_{n:03d}", True) for n in range(histograms)]

    def built(self) -> dict[str, Any]:
        """What building recorded: rows, bytes on disk, seconds."""
        recorded: dict[str, Any] = json.loads(self.marker.read_text())
        return recorded


def bucket_bounds() -> list[int]:
    """50 increasing bucket lower bounds, linear then exponential, as Firefox's are."""
    return [n + int(1.2**n) - 1 for n in range(BUCKETS)]


def prepare(results: Results) -> dict[str, Any]:
    """Build the folder unless a previous run did; what was built."""
    if not results.marker.exists():
        shutil.rmtree(results.folder, ignore_errors=True)
        results.folder.mkdir(parents=True)
        results.settings_file.write_text(f'[engine]\nresults = "{results.results}"\n')
        started = time.perf_counter()
        rows = build(results)
        seconds = time.perf_counter() - started
        recorded = {"rows": rows, "bytes": disk_bytes(results.results), "seconds": seconds}
        results.marker.write_text(json.dumps(recorded))
    return results.built()


def results_settings(results: Results) -> Settings:
    """The settings pointing at the folder (as ``opwatch serve --settings`` reads them)."""
    from opwatch.config import load_settings

    return load_settings(results.settings_file)


def build(results: Results) -> int:
    """Write the project row, the statistics and the run state; the statistics rows."""
    from opwatch.config.resolved import result_table
    from opwatch.engines import create_engine
    from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE
    from opwatch.pipeline.serving import serving_order
    from opwatch.pipeline.state import RunState
    from opwatch.pipeline.statistics import STATISTICS_ORDER

    engine = create_engine(results_settings(results))
    try:
        engine.results.replace_table(
            PROJECTS_TABLE, [project_row(results)], "slug", PROJECTS_COLUMNS
        )
        table = statistics_table(results)
        statistics = result_table(SLUG, "statistics")
        engine.results.write_rows(statistics, table, results.dates, order_by=STATISTICS_ORDER)
        engine.results.write_serving(  # as a run publishes it for the dashboards
            statistics, serving_order(("os",)), facets=("os", "branch"), latest_only=False
        )
    finally:
        engine.close()
    state = RunState.in_folder(results.results)
    try:
        state.record(day_runs(results))
    finally:
        state.close()
    return int(table.num_rows)


def project_row(results: Results) -> dict[str, Any]:
    """The ``projects_v1`` row, shaped as ``opwatch.pipeline.metadata.project_row``'s."""
    metrics = results.project_metrics()
    return {
        "slug": SLUG,
        "name": f"Web benchmark: {len(metrics)} metrics",
        "platform": "firefox_desktop",
        "xaxis": "submission_date",
        "branches": list(BRANCHES),
        "dimensions": ["os"],
        "start_date": START,
        "end_date": None,
        "group_by_dimension": None,
        "alerting": False,
        "compact_visualization": False,
        "metrics": [metric.config(index) for index, metric in enumerate(metrics)],
        "metric_groups": [],
        "config_hash": "web-benchmark",
        "updated_at": datetime.now(UTC).replace(tzinfo=None),
    }


def statistics_table(results: Results) -> pa.Table:
    """Every day's rows, collected by the statistics step's own ``Rows`` (the configured
    percentiles and every other statistic as rows, the rest of 1 … 99 packed)."""
    from opwatch.pipeline.statistics_rows import Rows

    rows = Rows(("submission_date", "build_id", "os", "branch"))
    generator = np.random.default_rng(SEED)
    configured = frozenset(str(p) for p in CONFIGURED_PERCENTILES)
    for day in results.dates:
        for metric in results.project_metrics():
            for os_value in OS_VALUES:
                for branch in BRANCHES:
                    key = (day, None, os_value, branch)
                    for statistic, parameters in metric.cells():
                        values = _estimates(parameters, generator, statistic == "percentile")
                        rows_of = configured if statistic == "percentile" else None
                        rows.add(key, (metric.name, statistic), values, rows_of=rows_of)
                for comparison in COMPARISONS:
                    key = (day, None, os_value, "treatment")
                    for statistic, parameters in metric.compared():
                        values = _estimates(parameters, generator, statistic == "percentile")
                        rows.add(key, (metric.name, statistic), values, comparison)
    return rows.table()


def _estimates(
    parameters: list[str | None], generator: np.random.Generator, ordered: bool
) -> Estimates:
    """Point estimates with a confidence interval around each (values do not matter to a
    reader; random doubles compress as real ones do; percentiles increase)."""
    from opwatch.stats.intervals import Estimates

    point = generator.lognormal(3.0, 1.0, len(parameters))
    point = np.sort(point) if ordered else point
    half = point * generator.uniform(0.02, 0.3, len(parameters))
    return Estimates(parameters, point, point - half, point + half)


def day_runs(results: Results) -> list[DayRun]:
    """A successful run of every day, as ``opwatch run`` records them."""
    from opwatch.pipeline.state import SUCCESS, DayRun

    finished = datetime.now(UTC).replace(tzinfo=None)
    return [
        DayRun(SLUG, day, "web-benchmark", SUCCESS, "duckdb", finished, finished, 100_000, None)
        for day in results.dates
    ]


def disk_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
