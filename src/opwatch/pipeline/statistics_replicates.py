"""Bootstrap replicates of a project-day's scalar metrics, added up by the engine.

The groups whose intervals are bootstrapped (``bootstrap``, or groups under
:data:`~opwatch.stats.intervals.AUTO_ANALYTIC_MIN_CLIENTS` clients under ``auto``) get their
Poisson-bootstrap replicates from the engine (``statistics_scalar_replicates``): each client's
weight in each replicate is a hash of (client, replicate, seed) the SQL computes
(:mod:`opwatch.stats.replicates`), and only per-(group, replicate) totals come back — the same
totals numpy computes from the clients' rows, on any engine.
"""

from __future__ import annotations

import numpy as np

from opwatch.pipeline.statistics_day import GROUP_COLUMN, DayStatistics
from opwatch.pipeline.statistics_input import floats, group_bounds
from opwatch.stats.intervals import AUTO_ANALYTIC_MIN_CLIENTS
from opwatch.stats.replicates import hash_constants
from opwatch.stats.scalar_sums import GroupReplicates

Column = tuple[str, str]
"""A scalar column of the result table: (metric, aggregation)."""


def read_replicates(
    day: DayStatistics,
    table: str,
    columns: dict[str, Column],
    groups: list[int],
    sizes: np.ndarray,
) -> dict[int, GroupReplicates]:
    """The replicate totals of ``groups`` (by group id) for every column of ``columns``
    (statistics metric name → (metric, aggregation)); ``sizes`` holds every group's clients.
    The totals a bootstrap-t needs are added up only if some group has the clients for one
    (:data:`~opwatch.stats.intervals.AUTO_ANALYTIC_MIN_CLIENTS`): under ``auto``, only
    smaller groups are bootstrapped, and half the sums are saved."""
    if not groups:
        return {}
    settings = day.settings
    studentized = bool(np.any(sizes[groups] >= AUTO_ANALYTIC_MIN_CLIENTS))
    query = day.query(
        "statistics_scalar_replicates",
        table,
        keys=day.keys,
        columns=list(columns.values()),
        bootstrap=hash_constants(settings.seed, settings.samples),
        studentized=studentized,
    )
    data = day.engine.reads.read_columns(query, [*day.parameters, groups])
    group_ids = np.asarray(data[GROUP_COLUMN], dtype=np.int64)
    clients = floats(data["clients"])
    totals = {name: np.nan_to_num(floats(data[f"t{i}"])) for i, name in enumerate(columns)}
    counts = {name: floats(data[f"n{i}"]) for i, name in enumerate(columns)}
    nothing = np.full(group_ids.size, np.nan)  # no bootstrap-t below its size: not read
    deviations = {
        name: np.nan_to_num(floats(data[f"d{i}"])) if studentized else nothing
        for i, name in enumerate(columns)
    }
    squares = {
        name: np.nan_to_num(floats(data[f"s{i}"])) if studentized else nothing
        for i, name in enumerate(columns)
    }
    found = {}
    for start, end in group_bounds(group_ids):
        assert end - start == settings.samples, "every replicate of a group has its row"
        found[int(group_ids[start])] = GroupReplicates(
            clients[start:end],
            *(
                {name: column[start:end] for name, column in each.items()}
                for each in (totals, counts, deviations, squares)
            ),
        )
    return found
