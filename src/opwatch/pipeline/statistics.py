"""The statistics step: client-level result tables → ``<slug>_statistics``.

For each day a run just wrote, every statistic the project asks for is computed per group (one
branch x x-axis value x dimension values) from what the engine adds up over the group's
clients — sums, and the values at a few ranks (:mod:`opwatch.pipeline.statistics_scalars`,
:mod:`opwatch.pipeline.statistics_histograms`) — or, where an interval is bootstrapped, from
the clients' rows; then the branch comparisons per cell (a group without its branch).

The rows replace the statistics partitions of those days, staged and swapped as the other
result tables are.
"""

from __future__ import annotations

from datetime import date

from opwatch.config.resolved import Project, result_table
from opwatch.engines.base import Engine
from opwatch.pipeline.statistics_day import DayStatistics
from opwatch.pipeline.statistics_histograms import histogram_statistics
from opwatch.pipeline.statistics_rows import Rows
from opwatch.pipeline.statistics_scalars import scalar_statistics

STATISTICS_ORDER = ("metric", "statistic", "parameter", "branch")
"""How a day's statistic rows are sorted in its file: a dashboard's read of one metric then
skips the row groups of the others."""


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
        for day in days:  # a day at a time: memory holds one day's groups
            computation = DayStatistics(self.engine, project, day, keys, rows)
            scalar_statistics(computation)
            histogram_statistics(computation)
        table = rows.table()
        self.engine.results.write_rows(
            result_table(project.slug, "statistics"), table, days, order_by=STATISTICS_ORDER
        )
        return int(table.num_rows)
