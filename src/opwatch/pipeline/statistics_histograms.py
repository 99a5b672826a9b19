"""Histogram statistics of one project-day.

From per-group sums the engine adds up when every statistic asked for has an analytic form
that needs no more (:mod:`opwatch.stats.histogram_sums`; ``statistics_histogram_sums``), else
from the clients' rows (``statistics_histograms``: one row per client and bucket), stacked as
client x bucket matrices a chunk of groups at a time. A bootstrap weighs each client as the
engines' SQL would (its hash: :mod:`opwatch.stats.replicates`), in one matrix product per group:
per-(client, bucket, replicate) rows in SQL would cost far more than numpy's product.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from opwatch.config.resolved import Metric, result_table
from opwatch.pipeline.statistics_day import CLIENT_COLUMN, GROUP_COLUMN, DayStatistics, Found
from opwatch.pipeline.statistics_input import LongHistograms, floats, group_bounds, histogram_sums
from opwatch.stats.buckets import BucketLayout, layout_from_definition
from opwatch.stats.histogram_sums import HistogramSums
from opwatch.stats.intervals import Estimates
from opwatch.stats.registry import HistogramSample, statistic


def histogram_statistics(day: DayStatistics) -> None:
    """Statistics of every histogram metric: from per-group sums the engine adds up when
    every statistic asked for has an analytic form that needs no more (see
    :mod:`opwatch.stats.histogram_sums`), else from the clients' rows, group by group."""
    table = result_table(day.project.slug, "histogram")
    if not day.engine.reads.has_results(table):
        return
    keys = (*day.keys[:-1], "probe", day.keys[-1])
    group_keys = day.group_keys(table, "probe", histogram=True)
    if histograms_from_sums(day):
        query = day.query("statistics_histogram_sums", table, keys=keys)
        data = day.engine.reads.read_columns(query, day.parameters)
        summed = _summed_batches(day, histogram_sums(data, group_keys, partial(_layout, day)))
        _emit_histograms(day, group_keys, summed, None, {})
        return
    query = day.query("statistics_histograms", table, keys=keys)
    data = day.engine.reads.read_columns(query, day.parameters)
    group_ids = np.asarray(data[GROUP_COLUMN])
    probe_names = sorted({str(key[-2]) for key in group_keys})
    probe_of_group = np.asarray([probe_names.index(str(key[-2])) for key in group_keys])
    probes = probe_of_group[group_ids] if group_ids.size else group_ids
    buckets = floats(data["bucket"])
    layouts = {
        name: _layout(day, name, buckets[probes == index]) for index, name in enumerate(probe_names)
    }
    bounds = group_bounds(group_ids)
    long = LongHistograms(
        np.asarray(data[CLIENT_COLUMN]),
        buckets,
        floats(data["share"]),
        bounds,
        np.asarray(data["opwatch_hash"], dtype=np.int64),
    )
    batches: dict[tuple[int, str], Estimates] = {}
    for index, name in enumerate(probe_names):
        groups = np.flatnonzero(probe_of_group == index).tolist()
        batches |= _histogram_batches(day, name, groups, long, layouts[name])
    _emit_histograms(day, group_keys, batches, long, layouts)


def histograms_from_sums(day: DayStatistics) -> bool:
    """Whether every histogram metric's statistics come from per-group sums: each has a
    form for every group at once (not bootstrapped) that sums serve."""
    for metric in day.project.metrics:
        if metric.type != "histogram":
            continue
        for name, _ in _histogram_statistics(metric):
            computed = statistic(name, "histogram")
            if not (computed.summed and computed.groups_at_once(day.settings)):
                return False
    return True


def _summed_batches(
    day: DayStatistics, sums: dict[str, tuple[list[int], HistogramSums]]
) -> dict[tuple[int, str], Estimates]:
    """Every histogram statistic of every group, from each metric's sums."""
    batches: dict[tuple[int, str], Estimates] = {}
    for metric_name, (groups, summed) in sums.items():
        metric = day.metric(metric_name)
        for name, parameters in _histogram_statistics(metric) if metric else []:
            computed = statistic(name, "histogram")
            found = computed.estimate_from_sums(summed, parameters, day.settings)
            for group, values in zip(groups, found, strict=True):
                assert values is not None, "analytic histogram statistics need no bootstrap"
                batches[group, name] = values
    return batches


def _emit_histograms(
    day: DayStatistics,
    group_keys: list[tuple[Any, ...]],
    batches: dict[tuple[int, str], Estimates],
    long: LongHistograms | None,
    layouts: dict[str, tuple[np.ndarray, np.ndarray, float]],
) -> None:
    """Each group's histogram statistics (from ``batches``, else computed from ``long``,
    the clients), then the branches compared, cell by cell."""
    for cell in day.cells(group_keys):
        metric_name = str(cell[0][1][-2])
        metric = day.metric(metric_name)
        if metric is None:
            continue
        estimates: dict[Any, Any] = {}
        for group, key in cell:
            group_key = (*key[:-2], key[-1])
            sample: HistogramSample | None = None
            found: Found = {}
            for name, parameters in _histogram_statistics(metric):
                computed = statistic(name, "histogram")
                values = batches.get((group, name))
                if values is None:  # only the clients' path leaves values to compute
                    assert long is not None, "sums give every group's values"
                    lower, upper, scale = layouts[metric_name]
                    sample = sample or HistogramSample(
                        long.matrix([group], lower, scale)[0],
                        lower,
                        upper,
                        clients=long.client_hashes(group),
                    )
                    rng = day.settings.rng(group_key, metric_name, name)
                    values = computed.estimate(sample, parameters, day.settings, rng)
                rows_of = computed.row_parameters(parameters)
                compared = computed.compared(values, parameters)
                found[metric_name, name] = (values, compared, rows_of)
            day.emit(group_key, found, estimates)
        first = cell[0][1]
        day.compare((*first[:-2], first[-1]), estimates)


def _histogram_batches(
    day: DayStatistics,
    metric_name: str,
    groups: list[int],
    long: LongHistograms,
    layout: tuple[np.ndarray, np.ndarray, float],
) -> dict[tuple[int, str], Estimates]:
    """The values of the histogram statistics with a form for every group at once (see
    :meth:`Statistic.estimate_groups`), by (group index, statistic), for one metric's
    ``groups``, a chunk of groups at a time."""
    metric = day.metric(metric_name)
    wanted = [
        (name, parameters, computed)
        for name, parameters in (_histogram_statistics(metric) if metric else [])
        if (computed := statistic(name, "histogram")).groups_at_once(day.settings)
    ]
    if not wanted:  # nothing to compute at once: no stacked matrices to build
        return {}
    lower, upper, scale = layout
    batches: dict[tuple[int, str], Estimates] = {}
    for chunk in long.chunks(groups, lower.size):
        stacked, row_bounds = long.matrix(chunk, lower, scale)
        sample = HistogramSample(stacked, lower, upper)
        for name, parameters, computed in wanted:
            found = computed.estimate_groups(sample, row_bounds, parameters, day.settings)
            for group, values in zip(chunk, found, strict=True):
                batches[group, name] = values
    return batches


def _layout(
    day: DayStatistics, metric_name: str, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lower and upper bucket bounds in the reported unit, and the stored-unit scale.

    Without a declared layout, the buckets are the keys seen for this metric that day
    (every branch and group), each ending where the next begins.
    """
    metric = day.metric(metric_name)
    layout: BucketLayout | None = None
    if metric is not None and metric.buckets is not None:
        layout = layout_from_definition(metric.buckets, f"metrics.{metric_name}.buckets")
    if layout is None:
        lower = np.unique(keys)
        upper = np.append(lower[1:], lower[-1:]) if lower.size else lower
        return lower, upper, 1.0
    lower = layout.bounds_covering(keys)
    return lower / layout.scale, layout.upper_bounds(lower) / layout.scale, layout.scale


def _histogram_statistics(metric: Metric) -> list[tuple[str, dict[str, Any]]]:
    """A histogram metric's statistics with their parameters: always the mean histogram."""
    configured = {s.name: dict(s.parameters) for s in metric.statistics}
    return [("histogram", configured.pop("histogram", {})), *configured.items()]
