"""Scalar statistics of one project-day, from what the engine adds up.

Every group's statistics come from per-group sums and a few order statistics the engine
computes (:mod:`opwatch.stats.scalar_sums`; templates ``statistics_scalar_moments``,
``statistics_scalar_ratios``, ``statistics_scalar_ranks``): no client row crosses into Python.
A group whose interval is bootstrapped (``bootstrap``, or fewer than
:data:`~opwatch.stats.intervals.AUTO_ANALYTIC_MIN_CLIENTS` clients under ``auto``) gets its
replicates from the engine too: Poisson-bootstrap totals (:mod:`.statistics_replicates`), and
for percentiles the values at the ranks OpMon's efficient bootstrap draws. Only a statistic
without a form from sums (a plugin's) reads the clients back (``statistics_scalars``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from opwatch.config.resolved import result_table
from opwatch.pipeline.statistics_day import GROUP_COLUMN, DayStatistics, Found
from opwatch.pipeline.statistics_input import floats, group_bounds
from opwatch.pipeline.statistics_replicates import read_replicates
from opwatch.stats.intervals import Estimates
from opwatch.stats.registry import BootstrapTotals, ScalarSample, Statistic, statistic
from opwatch.stats.scalar_sums import (
    OrderStatistics,
    RatioSums,
    ScalarMoments,
    ScalarSums,
    bootstrap_ranks,
    percentile_ranks,
    wanted_ranks,
)

Column = tuple[str, str]
"""A scalar column of the result table: (metric, aggregation)."""
Configured = list[tuple[str, str, dict[str, Any], Statistic]]
"""(column's metric name, statistic name, parameters, statistic) of every statistic asked for."""
Summed = dict[tuple[str, str], list[Estimates | None]]
"""(column's metric name, statistic name) → each group's values (None: from its clients)."""


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
    sums = _read_sums(day, table, columns, configured, group_keys)
    summed = _summed(day, sums, configured, len(group_keys))
    bootstrapped = _bootstrapped(summed, configured)
    if bootstrapped:  # their replicates, then their statistics again
        sizes = next(iter(sums.values())).moments.clients
        replicates = read_replicates(day, table, columns, bootstrapped, sizes)
        with_replicates = {
            name: dataclasses.replace(each, replicates=replicates) for name, each in sums.items()
        }
        summed |= _summed(day, with_replicates, configured, len(group_keys), redo=summed)
    clients = _Clients(day, table, columns, configured, summed)
    for cell in day.cells(group_keys):
        compared: dict[Any, Any] = {}
        for group, key in cell:
            found: Found = {}
            for metric_name, name, parameters, computed in configured:
                estimates = summed[metric_name, name][group]
                if estimates is None:
                    estimates = clients.estimate(group, key, metric_name, name, parameters)
                compared_values = computed.compared(estimates, parameters)
                rows_of = computed.row_parameters(parameters)
                found[metric_name, name] = (estimates, compared_values, rows_of)
            day.emit(key, found, compared)
        day.compare(cell[0][1], compared)


def _summed(
    day: DayStatistics,
    sums: dict[str, ScalarSums],
    configured: Configured,
    groups: int,
    redo: Summed | None = None,
) -> Summed:
    """Each statistic's values from the sums (only those ``redo`` left without values for
    some group, if given); a statistic without a form from sums has None for every group."""
    summed: Summed = {}
    for metric_name, name, parameters, computed in configured:
        if redo is not None and None not in redo[metric_name, name]:
            continue
        if not computed.summed:  # a statistic only defined on the clients: all of them
            summed[metric_name, name] = [None] * groups
            continue
        values = computed.estimate_from_sums(sums[metric_name], parameters, day.settings)
        summed[metric_name, name] = list(values)
    return summed


def _bootstrapped(summed: Summed, configured: Configured) -> list[int]:
    """The groups some statistic with a form from sums left without values: those whose
    intervals are bootstrapped, waiting for their replicates."""
    with_sums = [(metric_name, name) for metric_name, name, _, c in configured if c.summed]
    return sorted({group for key in with_sums for group, v in enumerate(summed[key]) if v is None})


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
    group_keys: list[tuple[Any, ...]],
) -> dict[str, ScalarSums]:
    """Each column's :class:`ScalarSums` over the day's groups (``group_keys``)."""
    groups = len(group_keys)
    query = day.query("statistics_scalar_moments", table, keys=day.keys)
    data = day.engine.reads.read_columns(query, day.parameters)
    moments = _moments(data, columns, groups)
    ratios = _ratios(day, table, columns, configured, groups)
    orders = _orders(day, table, columns, configured, moments, group_keys)
    return {
        metric_name: ScalarSums(
            moments[metric_name],
            ratios.get(metric_name, {}),
            orders.get(metric_name, {}),
            name=metric_name,
            rank_generator=_rank_generator(day, group_keys, metric_name),
        )
        for metric_name in columns
    }


def _rank_generator(day: DayStatistics, group_keys: list[tuple[Any, ...]], metric_name: str) -> Any:
    """(group, statistic) → the generator of the group's bootstrap ranks for the column's
    statistic: a stream per group key, metric and statistic, the same every run."""
    return lambda group, name: day.settings.rng(group_keys[group], metric_name, name)


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
        for field in (
            "count",
            "total",
            "negatives",
            "centered",
            "centered_all",
            "cubed",
            "cubed_all",
        ):
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
    group_keys: list[tuple[Any, ...]],
) -> dict[str, dict[bool, OrderStatistics]]:
    """For each column with percentiles, the values at the ranks they need (and, bootstrapped,
    at the ranks their replicates draw), by whether NULLs are left out; one query for all."""
    percentiles: dict[tuple[str, bool], dict[str, np.ndarray]] = {}
    for metric_name, name, parameters, computed in configured:
        ranked = computed.ranked(parameters)
        if ranked is not None:
            remove_nulls, wanted = ranked
            percentiles.setdefault((metric_name, remove_nulls), {})[name] = wanted
    if not percentiles:
        return {}
    keys = sorted(percentiles)
    sizes = {key: _ranked_sizes(moments[key[0]], key[1]) for key in keys}
    lists: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for index, key in enumerate(keys):
        every = np.unique(np.concatenate(list(percentiles[key].values())))
        size, rank = wanted_ranks(percentile_ranks(sizes[key], every / 100.0, day.settings))
        drawn = _drawn_ranks(day, group_keys, key[0], percentiles[key], sizes[key])
        size, rank = np.unique(
            np.stack([np.append(size, drawn[0]), np.append(rank, drawn[1])]), axis=1
        )
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


def _drawn_ranks(
    day: DayStatistics,
    group_keys: list[tuple[Any, ...]],
    metric_name: str,
    percentiles: dict[str, np.ndarray],
    sizes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(size, rank) of every rank a bootstrapped percentile statistic of the column reads
    (none unless bootstrapped): drawn from the generators its estimate draws them from again."""
    drawn_sizes, drawn_ranks = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    if day.settings.method != "bootstrap":  # percentiles are bootstrapped under it only
        return drawn_sizes[0], drawn_ranks[0]
    generator = _rank_generator(day, group_keys, metric_name)
    for name, wanted in percentiles.items():
        for group, size in enumerate(sizes.tolist()):
            ranks = bootstrap_ranks(size, wanted / 100.0, day.settings, generator(group, name))
            if ranks is not None:
                distinct = np.unique(ranks)
                drawn_sizes.append(np.full(distinct.size, size, dtype=np.int64))
                drawn_ranks.append(distinct)
    return np.concatenate(drawn_sizes), np.concatenate(drawn_ranks)


def _ranked_sizes(moments: ScalarMoments, remove_nulls: bool) -> np.ndarray:
    """How many values each group ranks: its values, or all its clients (those without a
    value as 0) — none for a group without a value (it has no percentiles)."""
    if remove_nulls:
        return moments.count.astype(np.int64)
    return np.where(moments.count > 0, moments.clients, 0).astype(np.int64)


# --- the clients, for statistics without a form from sums ---------------------------------


class _Clients:
    """The client rows of the groups some statistic computes from its clients (a statistic
    without a form from sums), read in one query when first needed."""

    def __init__(
        self,
        day: DayStatistics,
        table: str,
        columns: dict[str, Column],
        configured: Configured,
        summed: Summed,
    ) -> None:
        self.day, self.table, self.columns = day, table, columns
        self.configured = {(m, name): computed for m, name, _, computed in configured}
        self.groups = sorted(
            {group for each in summed.values() for group, v in enumerate(each) if v is None}
        )
        self.values: dict[str, np.ndarray] = {}
        self.hashes = np.empty(0, dtype=np.int64)
        self.slices: dict[int, tuple[int, int]] = {}
        self.current: tuple[int, dict[str, np.ndarray], BootstrapTotals] | None = None
        """The last group asked for: its columns and their shared bootstrap totals."""

    def _read(self) -> None:
        day = self.day
        query = day.query(
            "statistics_scalars",
            self.table,
            keys=day.keys,
            columns=self.columns.values(),
            subset=True,
        )
        data = day.engine.reads.read_columns(query, [*day.parameters, self.groups])
        self.values = {name: floats(data[f"c{i}"]) for i, name in enumerate(self.columns)}
        self.hashes = np.asarray(data["opwatch_hash"], dtype=np.int64)
        group_ids = np.asarray(data[GROUP_COLUMN])
        for start, end in group_bounds(group_ids):
            self.slices[int(group_ids[start])] = (start, end)

    def estimate(
        self,
        group: int,
        key: tuple[Any, ...],
        metric_name: str,
        name: str,
        parameters: dict[str, Any],
    ) -> Estimates:
        """One statistic of one group from its clients' values."""
        if not self.slices:
            self._read()
        settings = self.day.settings
        if self.current is None or self.current[0] != group:
            start, end = self.slices[group]
            values = {column: array[start:end] for column, array in self.values.items()}
            resamples = BootstrapTotals(values, self.hashes[start:end], settings)
            self.current = (group, values, resamples)
        _, values, resamples = self.current
        sample = ScalarSample(values[metric_name], values, resamples)
        rng = settings.rng(key, metric_name, name)
        return self.configured[metric_name, name].estimate(sample, parameters, settings, rng)


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
