"""The statistics step: client-level result tables → ``<slug>_statistics``.

For each day a run just wrote, the client rows are read back from the engine in bulk (one
query per table, sorted so that each group is a contiguous slice) — or, for histogram
statistics with an analytic form, only the per-group sums the engine adds up
(:mod:`opwatch.stats.histogram_sums`) —, every statistic the project asks for is computed per
group (or for all groups at once, where a statistic can), and the branch comparisons per cell:

- a *group* is one branch x x-axis value (submission date, and build for build-id projects) x
  dimension values; scalar metrics of a group come as aligned columns, one row per client;
- a *cell* is a group without its branch: its branches are compared to the reference branch,
  then its bootstrap replicates are dropped (memory stays bounded by one cell).

The rows replace the statistics partitions of those days, staged and swapped as the other
result tables are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from itertools import groupby
from typing import Any

import numpy as np

from opwatch.config.resolved import Metric, Project, result_table
from opwatch.engines.base import Engine
from opwatch.pipeline.metadata import branches
from opwatch.pipeline.statistics_input import (
    LongHistograms,
    floats,
    group_bounds,
    histogram_sums,
)
from opwatch.pipeline.statistics_rows import Rows
from opwatch.stats.buckets import BucketLayout, layout_from_definition
from opwatch.stats.comparison import compare
from opwatch.stats.histogram_sums import HistogramSums
from opwatch.stats.intervals import Estimates, IntervalMethod, IntervalSettings
from opwatch.stats.registry import BootstrapTotals, HistogramSample, ScalarSample, statistic

log = logging.getLogger("opwatch.statistics")
GROUP_COLUMN, CLIENT_COLUMN = "opwatch_group", "opwatch_client"
STATISTICS_ORDER = ("metric", "statistic", "parameter", "branch")
"""How a day's statistic rows are sorted in its file: a dashboard's read of one metric then
skips the row groups of the others."""


def interval_settings(project: Project) -> IntervalSettings:
    """The project's ``[project.statistics]`` as interval settings."""
    config = project.statistics
    method: IntervalMethod = "auto"
    if config.interval_method in ("bootstrap", "analytic"):
        method = "bootstrap" if config.interval_method == "bootstrap" else "analytic"
    return IntervalSettings(
        method=method,
        level=config.confidence_level,
        samples=config.bootstrap_samples,
        seed=config.seed,
    )


def reference_branch(project: Project) -> str | None:
    """The branch others are compared to: configured, else control, else disabled, else the
    first; None for a project with a single branch."""
    names = branches(project)
    if len(names) < 2:
        return None
    if project.statistics.reference_branch is not None:
        return project.statistics.reference_branch
    return next((usual for usual in ("control", "disabled") if usual in names), names[0])


class StatisticsStep:
    """Computes and writes the statistics of a project's days."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, project: Project, days: tuple[date, ...]) -> int:
        """Compute ``days``' statistics of ``project`` and replace their partitions.

        Returns the number of rows written.
        """
        keys = ("submission_date", "build_id", *project.population.dimensions, "branch")
        rows = Rows(keys)
        for day in days:  # a day at a time: memory holds one day's clients
            computation = _Computation(self.engine, project, day, keys, rows)
            computation.scalars()
            computation.histograms()
        table = rows.table()
        self.engine.results.write_rows(
            result_table(project.slug, "statistics"), table, days, order_by=STATISTICS_ORDER
        )
        return int(table.num_rows)


class _Computation:
    """One project's statistics of one day."""

    def __init__(
        self, engine: Engine, project: Project, day: date, keys: tuple[str, ...], rows: Rows
    ) -> None:
        self.engine, self.project, self.keys, self.rows = engine, project, keys, rows
        self.metrics = {metric.name: metric for metric in project.metrics}
        self.settings = interval_settings(project)
        self.reference = reference_branch(project)
        self.parameters: list[Any] = [day, day]

    # --- scalars ---------------------------------------------------------------------------

    def scalars(self) -> None:
        """Statistics of every scalar metric, group by group."""
        table = result_table(self.project.slug, "scalar")
        if not self.engine.reads.has_results(table):
            return
        pairs = self.engine.reads.read(
            self._query("statistics_scalar_metrics", table), self.parameters
        )
        columns = _scalar_columns(pairs)
        if not columns:
            return
        query = self._query("statistics_scalars", table, keys=self.keys, columns=columns.values())
        data = self.engine.reads.read_columns(query, self.parameters)
        group_keys = self._group_keys(table, "")
        metric_values = {metric: floats(data[f"c{index}"]) for index, metric in enumerate(columns)}
        bounds = group_bounds(data[GROUP_COLUMN])
        batches = self._scalar_batches(metric_values, bounds, columns)
        index = 0
        for cell in self._cells(group_keys, bounds):
            estimates: dict[tuple[str, str], dict[str, Estimates]] = {}
            for key, (start, end) in cell:
                group = {metric: values[start:end] for metric, values in metric_values.items()}
                found = self._scalar_group(
                    key, group, columns, {w: b[index] for w, b in batches.items()}
                )
                for what, (values, compared, rows_of) in found.items():
                    estimates.setdefault(what, {})[key[-1]] = compared
                    self.rows.add(key, what, values, rows_of=rows_of)
                index += 1
            self._compare(cell[0][0], estimates)

    def _scalar_batches(
        self,
        metric_values: dict[str, np.ndarray],
        bounds: list[tuple[int, int]],
        columns: dict[str, tuple[str, str]],
    ) -> dict[tuple[str, str], list[Estimates]]:
        """The values of statistics computed for every group at once (see
        :meth:`Statistic.estimate_groups`), by (metric, statistic)."""
        batches: dict[tuple[str, str], list[Estimates]] = {}
        for metric_name, (base_name, _) in columns.items():
            metric = self._metric(base_name)
            for configured in metric.statistics if metric is not None else ():
                computed = statistic(configured.name, "scalar")
                if computed.groups_at_once(self.settings):
                    batches[metric_name, configured.name] = computed.estimate_groups(
                        metric_values[metric_name], bounds, configured.parameters, self.settings
                    )
        return batches

    def _scalar_group(
        self,
        key: tuple[Any, ...],
        group: dict[str, np.ndarray],
        columns: dict[str, tuple[str, str]],
        computed_already: dict[tuple[str, str], Estimates],
    ) -> dict[tuple[str, str], tuple[Estimates, Estimates, frozenset[str] | None]]:
        """Each (metric, statistic)'s values, those of them compared between branches, and
        the parameters kept as rows (see :meth:`Statistic.row_parameters`)."""
        resamples = BootstrapTotals(group, self.settings, lambda: self.settings.rng(key, "scalars"))
        found: dict[tuple[str, str], tuple[Estimates, Estimates, frozenset[str] | None]] = {}
        for metric_name, (base_name, _) in columns.items():
            metric = self._metric(base_name)
            if metric is None:
                continue
            sample = ScalarSample(group[metric_name], group, resamples)
            for configured in metric.statistics:
                computed = statistic(configured.name, "scalar")
                values = computed_already.get((metric_name, configured.name))
                if values is None:
                    rng = self.settings.rng(key, metric_name, configured.name)
                    values = computed.estimate(sample, configured.parameters, self.settings, rng)
                compared = computed.compared(values, configured.parameters)
                rows_of = computed.row_parameters(configured.parameters)
                found[metric_name, configured.name] = (values, compared, rows_of)
        return found

    # --- histograms ------------------------------------------------------------------------

    def histograms(self) -> None:
        """Statistics of every histogram metric: from per-group sums the engine adds up when
        every statistic asked for has an analytic form that needs no more (see
        :mod:`opwatch.stats.histogram_sums`), else from the clients' rows, group by group."""
        table = result_table(self.project.slug, "histogram")
        if not self.engine.reads.has_results(table):
            return
        keys = (*self.keys[:-1], "probe", self.keys[-1])
        group_keys = self._group_keys(table, "probe", histogram=True)
        if self._histograms_from_sums():
            query = self._query("statistics_histogram_sums", table, keys=keys)
            data = self.engine.reads.read_columns(query, self.parameters)
            summed = self._summed_batches(histogram_sums(data, group_keys, self._layout))
            self._emit_histograms(group_keys, [(0, 0)] * len(group_keys), summed, None, {})
            return
        query = self._query("statistics_histograms", table, keys=keys)
        data = self.engine.reads.read_columns(query, self.parameters)
        group_ids = np.asarray(data[GROUP_COLUMN])
        probe_names = sorted({str(key[-2]) for key in group_keys})
        probe_of_group = np.asarray([probe_names.index(str(key[-2])) for key in group_keys])
        probes = probe_of_group[group_ids] if group_ids.size else group_ids
        buckets = floats(data["bucket"])
        layouts = {
            name: self._layout(name, buckets[probes == index])
            for index, name in enumerate(probe_names)
        }
        bounds = group_bounds(group_ids)
        long = LongHistograms(
            np.asarray(data[CLIENT_COLUMN]), buckets, floats(data["share"]), bounds
        )
        batches: dict[tuple[int, str], Estimates] = {}
        for index, name in enumerate(probe_names):
            groups = np.flatnonzero(probe_of_group == index).tolist()
            batches |= self._histogram_batches(name, groups, long, layouts[name])
        self._emit_histograms(group_keys, bounds, batches, long, layouts)

    def _histograms_from_sums(self) -> bool:
        """Whether every histogram metric's statistics come from per-group sums: each has a
        form for every group at once (not bootstrapped) that sums serve."""
        for metric in self.project.metrics:
            if metric.type != "histogram":
                continue
            for name, _ in _histogram_statistics(metric):
                computed = statistic(name, "histogram")
                if not (computed.summed and computed.groups_at_once(self.settings)):
                    return False
        return True

    def _summed_batches(
        self, sums: dict[str, tuple[list[int], HistogramSums]]
    ) -> dict[tuple[int, str], Estimates]:
        """Every histogram statistic of every group, from each metric's sums."""
        batches: dict[tuple[int, str], Estimates] = {}
        for metric_name, (groups, summed) in sums.items():
            metric = self._metric(metric_name)
            for name, parameters in _histogram_statistics(metric) if metric else []:
                computed = statistic(name, "histogram")
                found = computed.estimate_from_sums(summed, parameters, self.settings)
                for group, values in zip(groups, found, strict=True):
                    batches[group, name] = values
        return batches

    def _emit_histograms(
        self,
        group_keys: list[tuple[Any, ...]],
        bounds: list[tuple[int, int]],
        batches: dict[tuple[int, str], Estimates],
        long: LongHistograms | None,
        layouts: dict[str, tuple[np.ndarray, np.ndarray, float]],
    ) -> None:
        """Each group's histogram statistics (from ``batches``, else computed from ``long``,
        the clients), then the branches compared, cell by cell."""
        group_index = 0
        for cell in self._cells(group_keys, bounds):
            metric_name = str(cell[0][0][-2])
            metric = self._metric(metric_name)
            if metric is None:
                group_index += len(cell)
                continue
            estimates: dict[tuple[str, str], dict[str, Estimates]] = {}
            for key, _ in cell:
                group_key = (*key[:-2], key[-1])
                sample: HistogramSample | None = None
                for name, parameters in _histogram_statistics(metric):
                    computed = statistic(name, "histogram")
                    found = batches.get((group_index, name))
                    if found is None:  # only the clients' path leaves values to compute
                        assert long is not None, "sums give every group's values"
                        lower, upper, scale = layouts[metric_name]
                        sample = sample or HistogramSample(
                            long.matrix([group_index], lower, scale)[0], lower, upper
                        )
                        rng = self.settings.rng(group_key, metric_name, name)
                        found = computed.estimate(sample, parameters, self.settings, rng)
                    compared = computed.compared(found, parameters)
                    estimates.setdefault((metric_name, name), {})[key[-1]] = compared
                    rows_of = computed.row_parameters(parameters)
                    self.rows.add(group_key, (metric_name, name), found, rows_of=rows_of)
                group_index += 1
            first = cell[0][0]
            self._compare((*first[:-2], first[-1]), estimates)

    def _histogram_batches(
        self,
        metric_name: str,
        groups: list[int],
        long: LongHistograms,
        layout: tuple[np.ndarray, np.ndarray, float],
    ) -> dict[tuple[int, str], Estimates]:
        """The values of the histogram statistics with a form for every group at once (see
        :meth:`Statistic.estimate_groups`), by (group index, statistic), for one metric's
        ``groups``, a chunk of groups at a time."""
        metric = self._metric(metric_name)
        wanted = [
            (name, parameters, computed)
            for name, parameters in (_histogram_statistics(metric) if metric else [])
            if (computed := statistic(name, "histogram")).groups_at_once(self.settings)
        ]
        if not wanted:  # nothing to compute at once: no stacked matrices to build
            return {}
        lower, upper, scale = layout
        batches: dict[tuple[int, str], Estimates] = {}
        for chunk in long.chunks(groups, lower.size):
            stacked, row_bounds = long.matrix(chunk, lower, scale)
            sample = HistogramSample(stacked, lower, upper)
            for name, parameters, computed in wanted:
                found = computed.estimate_groups(sample, row_bounds, parameters, self.settings)
                for group, values in zip(chunk, found, strict=True):
                    batches[group, name] = values
        return batches

    def _layout(self, metric_name: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Lower and upper bucket bounds in the reported unit, and the stored-unit scale.

        Without a declared layout, the buckets are the keys seen for this metric that day
        (every branch and group), each ending where the next begins.
        """
        metric = self._metric(metric_name)
        layout: BucketLayout | None = None
        if metric is not None and metric.buckets is not None:
            layout = layout_from_definition(metric.buckets, f"metrics.{metric_name}.buckets")
        if layout is None:
            lower = np.unique(keys)
            upper = np.append(lower[1:], lower[-1:]) if lower.size else lower
            return lower, upper, 1.0
        lower = layout.bounds_covering(keys)
        return lower / layout.scale, layout.upper_bounds(lower) / layout.scale, layout.scale

    # --- shared ----------------------------------------------------------------------------

    def _group_keys(self, table: str, extra: str, histogram: bool = False) -> list[tuple[Any, ...]]:
        columns = [*self.keys[:-1], *([extra] if extra else []), self.keys[-1]]
        query = self._query("statistics_groups", table, keys=columns, histogram=histogram)
        return self.engine.reads.read(query, self.parameters)

    def _query(self, template: str, table: str, **context: Any) -> str:
        """A read query of the engine's statistics templates, over ``table``'s run days."""
        return self.engine.statements(template, table=table, **context)[0]

    def _cells(
        self, group_keys: list[tuple[Any, ...]], bounds: list[tuple[int, int]]
    ) -> Iterator[list[tuple[tuple[Any, ...], tuple[int, int]]]]:
        """Groups that differ only by branch (the last key), together."""
        paired = list(zip(group_keys, bounds, strict=True))
        for _, cell in groupby(paired, key=lambda item: item[0][:-1]):
            yield list(cell)

    def _metric(self, name: str) -> Metric | None:
        return self.metrics.get(name)

    def _compare(
        self,
        key: tuple[Any, ...],
        estimates: dict[tuple[str, str], dict[str, Estimates]],
    ) -> None:
        """Each non-reference branch against the reference, for the values statistics compare
        (see :meth:`Statistic.compared`)."""
        if self.reference is None:
            return
        for what, by_branch in estimates.items():
            reference = by_branch.get(self.reference)
            if reference is None or len(reference) == 0:
                continue
            for branch, found in by_branch.items():
                if branch == self.reference:
                    continue
                for comparison, values in compare(found, reference, self.settings).items():
                    self.rows.add((*key[:-1], branch), what, values, comparison)


def _histogram_statistics(metric: Metric) -> list[tuple[str, dict[str, Any]]]:
    """A histogram metric's statistics with their parameters: always the mean histogram."""
    configured = {s.name: dict(s.parameters) for s in metric.statistics}
    return [("histogram", configured.pop("histogram", {})), *configured.items()]


def _scalar_columns(pairs: list[tuple[Any, ...]]) -> dict[str, tuple[str, str]]:
    """Statistics metric name → (metric, agg_type) of each scalar column.

    A metric has one aggregation, except generation 1 probes (SUM and MAX): their SUM keeps the
    metric's name, the other becomes ``<metric>_max``.
    """
    aggs: dict[str, list[str]] = {}
    for name, agg in pairs:
        aggs.setdefault(str(name), []).append(str(agg))
    columns: dict[str, tuple[str, str]] = {}
    for name, kinds in aggs.items():
        for agg in kinds:
            alone = len(kinds) == 1 or agg == "SUM"
            columns[name if alone else f"{name}_{agg.lower()}"] = (name, agg)
    return columns
