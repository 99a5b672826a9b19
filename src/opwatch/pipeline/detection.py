"""The detection step: a project's ``<slug>_statistics`` → series → ``<slug>_detections``.

A *series* is one metric x statistic x parameter x branch x dimension values over the
project's x-axis: submission dates (missing days as gaps), or builds (read from the latest run
date's partition, which holds every build of the window). The ``histogram`` statistic of a
histogram metric is one series of whole histograms, its bucket rows side by side.
Percentiles are searched at the configured percentiles only, not at every served one, and
branch comparisons are not searched (a change of one branch shows in its own series).

Each metric is searched with its ``[metrics.X.monitor]`` technique and arguments, and its
changes classified with ``lower_is_better``. When the project is split by a platform
dimension (``os`` and its aliases), only the platforms asked for are searched: Windows, Linux
and Darwin by default, every value with ``All``.

The table is rewritten whole on each run: a rerun replaces the detections, never adds to them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import numpy as np

from opwatch.config.resolved import Metric, Project, result_table
from opwatch.detect import Change, detect
from opwatch.detect.registry import technique as technique_named
from opwatch.engines.base import Engine
from opwatch.engines.results import plain_value
from opwatch.errors import DetectionError
from opwatch.pipeline.detection_rows import detection_rows
from opwatch.pipeline.platforms import DEFAULT_PLATFORMS, platform_dimension, platform_name
from opwatch.stats.registry import configured_percentiles, format_parameter

log = logging.getLogger("opwatch.detection")


@dataclass(frozen=True)
class SeriesKey:
    """What a series is of."""

    metric: str
    statistic: str
    parameter: str | None
    branch: str
    dimensions: tuple[Any, ...]


@dataclass(frozen=True)
class StatisticSeries:
    """One series of a project's statistic rows, as detection takes it: ``values`` over ``xs``
    (rows are histograms for the ``histogram`` statistic, with ``buckets`` their lower bounds).

    Not :class:`opwatch.detect.series.Series`, the checked input of a technique: this one
    also carries what it is of (``key``) and its x-axis values, to write the detections."""

    key: SeriesKey
    xs: list[str]
    values: np.ndarray
    buckets: np.ndarray | None = None


@dataclass
class DetectionSummary:
    """What one project's detection found."""

    project: str
    table: str
    series: int = 0
    skipped: int = 0
    """Series of platforms not asked for."""
    changes: list[tuple[StatisticSeries, Change]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, classification: str) -> int:
        """Shifts classified ``classification`` (regression, improvement, change)."""
        return sum(
            1 for _, c in self.changes if c.kind == "shift" and c.classification == classification
        )


class DetectionStep:
    """Runs detection over projects' statistics and writes their detections tables."""

    def __init__(
        self,
        engine: Engine,
        platforms: Sequence[str] | None = None,
        technique: str | None = None,
    ) -> None:
        self.engine = engine
        self.platforms = tuple(platforms) if platforms else None
        self.technique = technique

    def has_statistics(self, project: Project) -> bool:
        """Whether ``project`` has statistics to search (a run wrote some)."""
        return self.engine.reads.has_results(result_table(project.slug, "statistics"))

    def run(self, project: Project) -> DetectionSummary:
        """Detect changes in every series of ``project``; replace its detections table."""
        started = time.perf_counter()
        summary = DetectionSummary(project.slug, result_table(project.slug, "detections"))
        if not self.has_statistics(project):
            raise DetectionError(
                f"{project.slug}: no statistics yet; run `opwatch run` or `opwatch backfill` "
                "for this project first"
            )
        methods = {m.name: self._check(project, m) for m in project.metrics}
        for series in read_series(self.engine, project):
            metric = project.metric(series.key.metric)
            if not self._platform_wanted(project, metric, series.key):
                summary.skipped += 1
                continue
            summary.series += 1
            for change in self._detect(project, metric, series, methods[metric.name]):
                summary.changes.append((series, change))
        rows = detection_rows(project, summary.changes)
        with self.engine.results.writer_lock():
            self.engine.results.write_table(summary.table, rows)
        summary.seconds = time.perf_counter() - started
        log.info(
            "%s: %d series, %d changes (%d regressions), %d series of other platforms skipped",
            project.slug,
            summary.series,
            len(summary.changes),
            summary.count("regression"),
            summary.skipped,
        )
        return summary

    def _check(self, project: Project, metric: Metric) -> tuple[str, dict[str, Any]]:
        """The metric's technique and arguments, refused early with where to fix them."""
        name = self.technique or metric.monitor.technique
        args = dict(metric.monitor.args)
        if self.technique:  # the metric's arguments were meant for its own technique
            accepted = technique_named(self.technique).Args.model_fields
            args = {key: value for key, value in args.items() if key in accepted}
        try:
            method = technique_named(name, **args)
        except DetectionError as error:
            raise DetectionError(
                f"{project.slug}: metrics.{metric.name}.monitor: {error}; fix "
                "change_detection_technique or change_detection_args"
            ) from None
        if project.xaxis == "build_id" and "period" in method.Args.model_fields:
            args.setdefault("period", None)  # builds have no weekday
        return method.name, args

    def _detect(
        self,
        project: Project,
        metric: Metric,
        series: StatisticSeries,
        method: tuple[str, dict[str, Any]],
    ) -> list[Change]:
        name, args = method
        try:
            return detect(
                series.values,
                name,
                lower_is_better=metric.lower_is_better,
                buckets=series.buckets,
                **args,
            )
        except DetectionError as error:
            log.warning("%s: %s: skipped: %s", project.slug, series.key, error)
            return []

    def _platform_wanted(self, project: Project, metric: Metric, key: SeriesKey) -> bool:
        dimension = platform_dimension(project)
        if dimension is None:
            return True
        wanted = self.platforms or metric.monitor.platforms or DEFAULT_PLATFORMS
        if "All" in wanted:
            return True
        value = key.dimensions[project.population.dimensions.index(dimension)]
        return platform_name(value) in wanted


def read_series(engine: Engine, project: Project) -> Iterator[StatisticSeries]:
    """Every series of the project's statistics, in metric, statistic, branch order."""
    query = engine.statements(
        "detection_series",
        table=result_table(project.slug, "statistics"),
        keys=project.population.dimensions,
        by_build=project.xaxis == "build_id",
        wanted=_wanted(project),
    )[0]
    columns = engine.reads.read_columns(query)
    dimensions = [columns[d] for d in project.population.dimensions]
    by_date = project.xaxis != "build_id"
    sort_keys = [columns["metric"], columns["statistic"], columns["branch"], *dimensions]
    for start, stop in _runs(columns, sort_keys):
        head = (str(columns["metric"][start]), str(columns["statistic"][start]))
        branch = str(columns["branch"][start])
        dims = tuple(plain_value(d[start]) for d in dimensions)
        rows = slice(start, stop)
        if head[1] == "histogram":
            yield _histogram_series(SeriesKey(*head, None, branch, dims), columns, rows, by_date)
        else:
            yield from _scalar_series(head, branch, dims, columns, rows, by_date)


def _wanted(project: Project) -> list[tuple[str, str, list[str] | None]]:
    """(metric, statistic, parameters) searched: percentiles at the configured ones only."""
    wanted: list[tuple[str, str, list[str] | None]] = []
    for metric in project.metrics:
        if metric.type == "histogram":
            wanted.append((metric.name, "histogram", None))
        for configured in metric.statistics:
            parameters = None
            if configured.name == "percentile":
                percentiles = configured_percentiles(configured.parameters)
                parameters = [format_parameter(p) for p in percentiles]
            wanted.append((metric.name, configured.name, parameters))
    return wanted


def _scalar_series(
    head: tuple[str, str],
    branch: str,
    dims: tuple[Any, ...],
    columns: dict[str, Any],
    rows: slice,
    by_date: bool,
) -> Iterator[StatisticSeries]:
    parameters = columns["parameter"][rows]
    for start, stop in _runs({"p": parameters}, [parameters]):
        parameter = plain_value(parameters[start])
        xs = [str(x) for x in columns["x"][rows][start:stop]]
        points = np.asarray(columns["point"][rows][start:stop], dtype=float)
        axis = _axis(xs, by_date)
        values = np.full(len(axis), np.nan)
        values[[axis.index(x) for x in xs]] = points
        key = SeriesKey(*head, None if parameter is None else str(parameter), branch, dims)
        yield StatisticSeries(key, axis, values)


def _histogram_series(
    key: SeriesKey, columns: dict[str, Any], rows: slice, by_date: bool
) -> StatisticSeries:
    """Bucket rows → one histogram per x-axis value (buckets a day lacks hold zero)."""
    xs = [str(x) for x in columns["x"][rows]]
    bounds = np.asarray([float(p) for p in columns["parameter"][rows]])
    buckets = np.unique(bounds)
    axis = _axis(sorted(set(xs)), by_date)
    values = np.zeros((len(axis), len(buckets)))
    seen = np.zeros(len(axis), dtype=bool)
    at = {x: i for i, x in enumerate(axis)}
    row_of = np.asarray([at[x] for x in xs])
    values[row_of, np.searchsorted(buckets, bounds)] = np.asarray(
        columns["point"][rows], dtype=float
    )
    seen[row_of] = True
    values[~seen] = np.nan
    return StatisticSeries(key, axis, values, buckets)


def _axis(xs: list[str], by_date: bool) -> list[str]:
    """The x-axis values from the first to the last: every day between (gaps kept as
    positions, so a position keeps its weekday), or the builds seen."""
    ordered = sorted(set(xs))
    if not by_date or not ordered:
        return ordered
    first, last = date.fromisoformat(ordered[0]), date.fromisoformat(ordered[-1])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _runs(columns: dict[str, Any], keys: list[Any]) -> Iterator[tuple[int, int]]:
    """``[start, stop)`` of the runs of equal values of ``keys`` (rows are sorted by them)."""
    length = len(next(iter(columns.values())))
    if length == 0:
        return
    change = np.zeros(length, dtype=bool)
    change[0] = True
    for key in keys:
        values = np.asarray([plain_value(v) for v in key], dtype=object)
        change[1:] |= values[1:] != values[:-1]
    starts = [*np.flatnonzero(change).tolist(), length]
    yield from pairwise(starts)
