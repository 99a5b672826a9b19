"""One project-day of the statistics step: what its scalar and histogram statistics share.

A *group* is one branch x x-axis value (submission date, and build for build-id projects) x
dimension values, numbered in the order of its keys (every statistics template numbers groups
so); a *cell* is a group without its branch: its branches are compared to the reference
branch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import groupby
from typing import Any

from opwatch.config.resolved import Metric, Project
from opwatch.engines.base import Engine
from opwatch.pipeline.metadata import branches
from opwatch.pipeline.statistics_rows import Rows
from opwatch.stats.comparison import compare
from opwatch.stats.intervals import Estimates, IntervalMethod, IntervalSettings

GROUP_COLUMN, CLIENT_COLUMN = "opwatch_group", "opwatch_client"

Found = dict[tuple[str, str], tuple[Estimates, Estimates, frozenset[str] | None]]
"""A group's values by (metric, statistic): all of them, those compared between branches, and
the parameters kept as rows (see :meth:`Statistic.row_parameters`)."""


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


class DayStatistics:
    """One project's statistics of one day: the engine reads, the groups, the rows written."""

    def __init__(
        self, engine: Engine, project: Project, day: date, keys: tuple[str, ...], rows: Rows
    ) -> None:
        self.engine, self.project, self.keys, self.rows = engine, project, keys, rows
        self.metrics = {metric.name: metric for metric in project.metrics}
        self.settings = interval_settings(project)
        self.reference = reference_branch(project)
        self.parameters: list[Any] = [day, day]

    def metric(self, name: str) -> Metric | None:
        return self.metrics.get(name)

    def query(self, template: str, table: str, **context: Any) -> str:
        """A read query of the engine's statistics templates, over ``table``'s run days."""
        return self.engine.statements(template, table=table, **context)[0]

    def group_keys(self, table: str, extra: str, histogram: bool = False) -> list[tuple[Any, ...]]:
        """The groups of ``table`` that day, in the order of their numbers (``extra``, the
        histogram's probe, is a key before the branch)."""
        columns = [*self.keys[:-1], *([extra] if extra else []), self.keys[-1]]
        query = self.query("statistics_groups", table, keys=columns, histogram=histogram)
        return self.engine.reads.read(query, self.parameters)

    def cells(
        self, group_keys: list[tuple[Any, ...]]
    ) -> Iterator[list[tuple[int, tuple[Any, ...]]]]:
        """Groups (number, key) that differ only by branch (the last key), together."""
        numbered = list(enumerate(group_keys))
        for _, cell in groupby(numbered, key=lambda item: item[1][:-1]):
            yield list(cell)

    def compare(
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

    def emit(self, key: tuple[Any, ...], found: Found, compared: dict[Any, Any]) -> None:
        """A group's values as rows; its compared values kept in ``compared`` (by (metric,
        statistic), then branch) for :meth:`compare`."""
        for what, (values, to_compare, rows_of) in found.items():
            compared.setdefault(what, {})[key[-1]] = to_compare
            self.rows.add(key, what, values, rows_of=rows_of)
