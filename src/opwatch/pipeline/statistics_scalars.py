"""Scalar statistics of one project-day, from what the engine adds up.

Every group's analytic statistics come from per-group sums and a few order statistics the
engine computes (:mod:`opwatch.stats.scalar_sums`; templates ``statistics_scalar_moments``,
``statistics_scalar_ratios``, ``statistics_scalar_ranks``): no client row crosses into Python
for them. A group whose interval is bootstrapped (``bootstrap``, or fewer than
:data:`~opwatch.stats.intervals.AUTO_ANALYTIC_MIN_CLIENTS` clients under ``auto``) is read
back client by client (``statistics_scalars``, those groups only) and computed as
:mod:`opwatch.stats.scalar` defines, cell by cell, so that its replicates are dropped once its
branches are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opwatch.config.resolved import result_table
from opwatch.pipeline.statistics_day import GROUP_COLUMN, DayStatistics, Found
from opwatch.pipeline.statistics_input import floats, group_bounds
from opwatch.stats.intervals import Estimates
from opwatch.stats.registry import BootstrapTotals, ScalarSample, Statistic, statistic
from opwatch.stats.scalar_sums import (
    OrderStatistics,
    RatioSums,
    ScalarMoments,
    ScalarSums,
    percentile_ranks,
    wanted_ranks,
)

Column = tuple[str, str]
"""A scalar column of the result table: (metric, aggregation)."""
Configured = list[tuple[str, str, dict[str, Any], Statistic]]
"""(column's metric name, statistic name, parameters, statistic) of every statistic asked for."""


def scalar_statistics(day: DayStatistics) -> None:
    """Every scalar metric's statistics of the day, and the branches compared."""
    table = result_table(day.project.slug, "scalar")
    if not day.engine.reads.has_results(table):
        return
    pairs = day.engine.reads.read(day.query("statistics_scalar_metrics", table), day.parameters)
    columns = scalar_columns(pairs)
    configured = _configured(day, columns)
    if not configured:
        return
    group_keys = day.group_keys(table, "")
    summed: dict[tuple[str, str], list[Estimates | None]] = {}
    if day.settings.method != "bootstrap":
        sums = _read_sums(day, table, columns, configured, len(group_keys))
        for metric_name, name, parameters, computed in configured:
            if not computed.summed:  # a statistic only defined on the clients: all of them
                summed[metric_name, name] = [None] * len(group_keys)
                continue
            values = computed.estimate_from_sums(sums[metric_name], parameters, day.settings)
            summed[metric_name, name] = list(values)
        bootstrapped = sorted(
            {group for each in summed.values() for group, v in enumerate(each) if v is None}
        )
    else:
        bootstrapped = list(range(len(group_keys)))
    clients = _Clients(day, table, columns, configured, bootstrapped)
    for cell in day.cells(group_keys):
        compared: dict[Any, Any] = {}
        for group, key in cell:
            if clients.has(group):
                day.emit(key, clients.estimates(group, key), compared)
                continue
            found: Found = {}
            for metric_name, name, parameters, computed in configured:
                estimates = summed[metric_name, name][group]
                assert estimates is not None, "a group the sums leave out is read from its clients"
                compared_values = computed.compared(estimates, parameters)
                rows_of = computed.row_parameters(parameters)
                found[metric_name, name] = (estimates, compared_values, rows_of)
            day.emit(key, found, compared)
        day.compare(cell[0][1], compared)


def _configured(day: DayStatistics, columns: dict[str, Column]) -> Configured:
    """Each column's statistics, in the order the project lists them."""
    configured: Configured = []
    for metric_name, (base_name, _) in columns.items():
        metric = day.metric(base_name)
        for each in metric.statistics if metric is not None else ():
            computed = statistic(each.name, "scalar")
            configured.append((metric_name, each.name, dict(each.parameters), computed))
    return configured


# --- the engine's sums -------------------------------------------------------------------------


def _read_sums(
    day: DayStatistics,
    table: str,
    columns: dict[str, Column],
    configured: Configured,
    groups: int,
) -> dict[str, ScalarSums]:
    """Each column's :class:`ScalarSums` over the day's ``groups`` groups."""
    query = day.query("statistics_scalar_moments", table, keys=day.keys)
    data = day.engine.reads.read_columns(query, day.parameters)
    moments = _moments(data, columns, groups)
    ratios = _ratios(day, table, columns, configured, groups)
    orders = _orders(day, table, columns, configured, moments)
    return {
        metric_name: ScalarSums(
            moments[metric_name],
            ratios.get(metric_name, {}),
            orders.get(metric_name, {}),
        )
        for metric_name in columns
    }


def _moments(
    data: dict[str, Any], columns: dict[str, Column], groups: int
) -> dict[str, ScalarMoments]:
    """The moments query's rows as each column's arrays (a group without rows of a column
    has its clients and no value)."""
    group_ids = np.asarray(data[GROUP_COLUMN], dtype=np.int64)
    clients = np.zeros(groups)
    clients[group_ids] = floats(data["clients"])
    names = np.asarray(data["name"], dtype=object)
    aggs = np.asarray(data["agg_type"], dtype=object)
    found = {}
    for metric_name, (name, agg) in columns.items():
        rows = (names == name) & (aggs == agg)
        at = group_ids[rows]
        arrays = {}
        for field in ("count", "total", "negatives", "centered", "centered_all"):
            array = np.zeros(groups)
            array[at] = np.nan_to_num(floats(data[field])[rows])
            arrays[field] = array
        found[metric_name] = ScalarMoments(clients=clients, **arrays)
    return found


def _ratios(
    day: DayStatistics,
    table: str,
    columns: dict[str, Column],
    configured: Configured,
    groups: int,
) -> dict[str, dict[str, RatioSums]]:
    """For each column with a ``total_ratio``, its sums over each denominator there is."""
    wanted = sorted(
        {
            (metric_name, str(parameters["denominator_metric"]))
            for metric_name, name, parameters, _ in configured
            if name == "total_ratio" and str(parameters["denominator_metric"]) in columns
        }
    )
    if not wanted:
        return {}
    pairs = [(columns[numerator], columns[denominator]) for numerator, denominator in wanted]
    query = day.query("statistics_scalar_ratios", table, keys=day.keys, pairs=pairs)
    data = day.engine.reads.read_columns(query, day.parameters)
    at = np.asarray(data[GROUP_COLUMN], dtype=np.int64)

    def column(name: str) -> np.ndarray:
        array = np.zeros(groups)
        array[at] = np.nan_to_num(floats(data[name]))
        return array

    found: dict[str, dict[str, RatioSums]] = {}
    for index, (numerator, denominator) in enumerate(wanted):
        found.setdefault(numerator, {})[denominator] = RatioSums(
            clients=column("clients"),
            numerator=column(f"x{index}"),
            denominator=column(f"y{index}"),
            residuals=column(f"r{index}"),
            residual_squares=column(f"rr{index}"),
        )
    return found


def _orders(
    day: DayStatistics,
    table: str,
    columns: dict[str, Column],
    configured: Configured,
    moments: dict[str, ScalarMoments],
) -> dict[str, dict[bool, OrderStatistics]]:
    """For each column with percentiles, the values at the ranks they need, by whether NULLs
    are left out; one query for all."""
    percentiles: dict[tuple[str, bool], set[float]] = {}
    for metric_name, _, parameters, computed in configured:
        ranked = computed.ranked(parameters)
        if ranked is not None:
            remove_nulls, wanted = ranked
            percentiles.setdefault((metric_name, remove_nulls), set()).update(wanted.tolist())
    if not percentiles:
        return {}
    keys = sorted(percentiles)
    sizes = {key: _ranked_sizes(moments[key[0]], key[1]) for key in keys}
    lists: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for index, key in enumerate(keys):
        q = np.asarray(sorted(percentiles[key])) / 100.0
        size, rank = wanted_ranks(percentile_ranks(sizes[key], q, day.settings))
        lists[0].append(np.full(size.size, index, dtype=np.int64))
        lists[1].append(size)
        lists[2].append(rank)
    wanted_lists = [np.concatenate(each).tolist() for each in lists]
    ranked_columns = [(*columns[metric_name], remove_nulls) for metric_name, remove_nulls in keys]
    query = day.query("statistics_scalar_ranks", table, keys=day.keys, columns=ranked_columns)
    data = day.engine.reads.read_columns(query, [*wanted_lists, *day.parameters, *day.parameters])
    column_ids = np.asarray(data["opwatch_column"], dtype=np.int64)
    found: dict[str, dict[bool, OrderStatistics]] = {}
    for index, (metric_name, remove_nulls) in enumerate(keys):
        rows = column_ids == index
        found.setdefault(metric_name, {})[remove_nulls] = OrderStatistics.read(
            sizes[metric_name, remove_nulls],
            np.asarray(data[GROUP_COLUMN])[rows],
            np.asarray(data["rank"])[rows],
            floats(data["value"])[rows],
        )
    return found


def _ranked_sizes(moments: ScalarMoments, remove_nulls: bool) -> np.ndarray:
    """How many values each group ranks: its values, or all its clients (those without a
    value as 0) — none for a group without a value (it has no percentiles)."""
    if remove_nulls:
        return moments.count.astype(np.int64)
    return np.where(moments.count > 0, moments.clients, 0).astype(np.int64)


# --- the clients of bootstrapped groups ----------------------------------------------------------


class _Clients:
    """The client rows of the groups whose intervals are bootstrapped, read in one query."""

    def __init__(
        self,
        day: DayStatistics,
        table: str,
        columns: dict[str, Column],
        configured: Configured,
        groups: list[int],
    ) -> None:
        self.day, self.columns, self.configured = day, columns, configured
        self.values: dict[str, np.ndarray] = {}
        self.slices: dict[int, tuple[int, int]] = {}
        if not groups:
            return
        query = day.query(
            "statistics_scalars", table, keys=day.keys, columns=columns.values(), subset=True
        )
        data = day.engine.reads.read_columns(query, [*day.parameters, groups])
        self.values = {name: floats(data[f"c{i}"]) for i, name in enumerate(columns)}
        group_ids = np.asarray(data[GROUP_COLUMN])
        for start, end in group_bounds(group_ids):
            self.slices[int(group_ids[start])] = (start, end)

    def has(self, group: int) -> bool:
        return group in self.slices

    def estimates(self, group: int, key: tuple[Any, ...]) -> Found:
        """Every statistic of the group from its clients' values."""
        start, end = self.slices[group]
        values = {name: column[start:end] for name, column in self.values.items()}
        settings = self.day.settings
        resamples = BootstrapTotals(values, settings, lambda: settings.rng(key, "scalars"))
        found: Found = {}
        for metric_name, name, parameters, computed in self.configured:
            sample = ScalarSample(values[metric_name], values, resamples)
            rng = settings.rng(key, metric_name, name)
            estimates = computed.estimate(sample, parameters, settings, rng)
            compared = computed.compared(estimates, parameters)
            found[metric_name, name] = (estimates, compared, computed.row_parameters(parameters))
        return found


def scalar_columns(pairs: list[tuple[Any, ...]]) -> dict[str, Column]:
    """Statistics metric name → (metric, agg_type) of each scalar column.

    A metric has one aggregation, except generation 1 probes (SUM and MAX): their SUM keeps the
    metric's name, the other becomes ``<metric>_max``.
    """
    aggs: dict[str, list[str]] = {}
    for name, agg in pairs:
        aggs.setdefault(str(name), []).append(str(agg))
    columns: dict[str, Column] = {}
    for name, kinds in aggs.items():
        for agg in kinds:
            alone = len(kinds) == 1 or agg == "SUM"
            columns[name if alone else f"{name}_{agg.lower()}"] = (name, agg)
    return columns
