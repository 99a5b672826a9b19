"""Read projects, statistics and detections back from the result tables."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from opwatch.config.resolved import result_table
from opwatch.config.settings import Settings
from opwatch.engines import create_engine
from opwatch.engines.results import ResultReads, plain_value
from opwatch.errors import EngineError, ProjectNotFoundError
from opwatch.pipeline.metadata import PROJECTS_TABLE
from opwatch.pipeline.state import SUCCESS, RunState
from opwatch.pipeline.statistics_rows import (
    PACKED_COLUMNS,
    PACKED_PARAMETER,
    PACKED_SIZE,
    packed_position,
)
from opwatch.results.models import (
    STATISTIC_COLUMNS,
    DimensionValues,
    InvalidQueryError,
    ProjectDetail,
    ProjectSummary,
    StatisticsFilter,
)

CACHE_ROWS = 200_000
"""Rows of answers a reader keeps (statistic rows of a view, extents, dimension values): the
bound on its memory, about 60 MB, whatever the results' size."""
NO_SERIES = -1
"""What :meth:`ResultsReader._series_number` says of a series the serving copy lacks."""


class ResultsReader:
    """Reads the result tables through an engine's reads (and the run state, for last runs)."""

    def __init__(
        self,
        reads: ResultReads,
        state: RunState | None = None,
        cache_rows: int = CACHE_ROWS,
        timeout: float | None = None,
    ) -> None:
        self.reads = reads
        self.state = state
        self.cache_rows = cache_rows
        self.timeout = timeout
        """Seconds a read may take before it is cancelled (None: no limit; a server sets one)."""
        self._cache: OrderedDict[tuple[Any, ...], tuple[str, Any, int]] = OrderedDict()
        self._cached_rows = 0
        self._lock = threading.Lock()

    @classmethod
    def of_settings(
        cls, settings: Settings, *, timeout: float | None = None, read_only: bool = False
    ) -> ResultsReader:
        """The reader of the results ``settings`` point at, with their run state: what the
        web app and the alert manager read, without opening a session that runs SQL
        (``read_only``: nor writing anything, the run state's database included)."""
        state = RunState.reading(settings) if read_only else RunState.of_settings(settings)
        reads = create_engine(settings).reads
        reads.serve_requests()
        return cls(reads, state, timeout=timeout)

    def close(self) -> None:
        """Release the reads' sessions and sorted copies."""
        self.reads.close()

    def _cached(self, table: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, reused while ``table`` is unchanged (when the engine can tell): the
        results change once a run writes them, and dashboards ask the same questions again.
        The least recently used answers go once they hold more than ``cache_rows`` rows."""
        version = self.reads.table_version(table)
        if version is None or not self.cache_rows:
            return compute()
        with self._lock:
            found = self._cache.get((table, *key))
            if found is not None and found[0] == version:
                self._cache.move_to_end((table, *key))
                return found[1]
        value = compute()
        size = len(value) if isinstance(value, list) else 1
        with self._lock:
            replaced = self._cache.pop((table, *key), None)
            self._cached_rows -= 0 if replaced is None else replaced[2]
            self._cache[(table, *key)] = (version, value, size)
            self._cached_rows += size
            while self._cached_rows > self.cache_rows and len(self._cache) > 1:
                _, (_, _, dropped) = self._cache.popitem(last=False)
                self._cached_rows -= dropped
        return value

    def projects(self) -> list[ProjectSummary]:
        """Every project that has written results."""
        return [self._summary(row) for row in self._project_rows()]

    def versions(self, slug: str) -> tuple[str | None, ...]:
        """The versions of every table ``slug``'s dashboard is made from: what a rendered
        page may be reused for (None in it: unknown, do not reuse)."""
        tables = (PROJECTS_TABLE, *(result_table(slug, k) for k in ("statistics", "detections")))
        return tuple(self._version_or_absent(table) for table in tables)

    def _version_or_absent(self, table: str) -> str | None:
        """``table``'s version; ``"absent"`` for a table without results (a project never
        detected has no detections table, and its page is still the same page)."""
        version = self.reads.table_version(table)
        if version is None and not self.reads.has_results(table):
            return "absent"
        return version

    def project(self, slug: str) -> ProjectDetail:
        """One project in detail; ProjectNotFoundError names the known ones."""
        row = self._project_row(slug)
        summary = self._summary(row)
        dimensions = tuple(
            DimensionValues(name, tuple(self._dimension_values(slug, name)))
            for name in summary.dimensions
        )
        return ProjectDetail(
            summary,
            tuple(_json(row["metrics"])),
            tuple(_json(row["metric_groups"])),
            dimensions,
            self._reference_branch(slug, summary.branches),
        )

    def statistics(self, slug: str, wanted: StatisticsFilter) -> list[dict[str, Any]]:
        """The statistic rows of ``slug`` that match ``wanted``, as dictionaries."""
        row = self._project_row(slug)
        dimensions, xaxis = tuple(row["dimensions"] or ()), row["xaxis"]
        table = result_table(slug, "statistics")
        if not self.reads.has_results(table):
            return []
        allowed = set(STATISTIC_COLUMNS) | set(dimensions)
        unknown = sorted(set(wanted.equals) - allowed)
        if unknown:
            raise InvalidQueryError(
                f"{slug} has no column {', '.join(unknown)}; filter by {', '.join(sorted(allowed))}"
            )
        filters = [column for column, value in wanted.equals.items() if value is not None]
        values: list[Any] = [wanted.equals[column] for column in filters]
        if xaxis == "build_id":  # the latest day holds every build of the window
            values.append(self._extent(slug)[1])
        columns = ["xaxis_value", "metric", "statistic", "parameter", "comparison", "branch"]
        columns += [*dimensions, "point", "lower", "upper"]
        context: dict[str, Any] = {"table": table, "keys": dimensions, "filters": filters}
        context |= {"comparisons": wanted.comparisons, "by_build": xaxis == "build_id"}
        context |= {"packed": None, "packed_parameter": PACKED_PARAMETER, "exclude_packed": False}
        number = self._series_number(table, wanted.equals)
        if number == NO_SERIES or wanted.equals.get("parameter") == PACKED_PARAMETER:
            return []  # no such series; a packed row is not a value
        rows = None
        if number is not None:  # a serving copy holds the packed percentiles as rows
            # the series number stands for the metric and statistic; if the copy goes stale
            # as the read begins, the read fails: read the table
            served = [column for column in filters if column not in ("metric", "statistic")]
            bound = [wanted.equals[column] for column in served] + values[len(filters) :]
            with suppress(EngineError):
                rows = self._statistic_rows(context | {"filters": served}, bound, None, number)
        if rows is None:
            packed = self._packed_reading(table, wanted.equals, values, context)
            context["exclude_packed"] = "parameter" not in wanted.equals
            rows = self._statistic_rows(context, values, packed)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _packed_reading(
        self, table: str, equals: dict[str, str], values: list[Any], context: dict[str, Any]
    ) -> list[Any] | None:
        """Set ``context`` up to expand the packed percentiles too (see
        :mod:`opwatch.pipeline.statistics_rows`) when ``equals`` may select some; returns the
        values their part of the read binds (before the series number), None if none."""
        if "comparison" in equals or equals.get("statistic", "percentile") != "percentile":
            return None
        parameter = equals.get("parameter")
        position = packed_position(parameter) if parameter is not None else None
        if (parameter is not None and position is None) or not self._has_packed(table):
            return None
        others = [column for column in context["filters"] if column != "parameter"]
        context |= {"packed": "all" if position is None else "one", "packed_filters": others}
        context["packed_size"] = PACKED_SIZE
        bound = [equals[column] for column in others] + values[len(context["filters"]) :]
        return bound if position is None else [position, *bound]

    def _has_packed(self, table: str) -> bool:
        """Whether ``table`` has the packed columns (results written before them do not)."""
        query = self.reads.statements("results_columns", table=table)[0]
        columns = self._cached(
            table, ("columns",), lambda: list(self.reads.read_columns(query, timeout=self.timeout))
        )
        return set(PACKED_COLUMNS) <= set(columns)

    def _statistic_rows(
        self,
        context: dict[str, Any],
        values: list[Any],
        packed: list[Any] | None,
        series: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """The rows of the read (from the serving copy's ``series`` if given, which holds no
        packed rows); ``packed``: the values the packed rows' part binds, if it is read."""
        bound = [*values, *([] if series is None else [series]), *(packed or [])]
        query = self.reads.statements("results_statistics", series=series is not None, **context)
        key = ("statistics", query[0], *bound)
        rows: list[tuple[Any, ...]] = self._cached(
            context["table"], key, lambda: self._read(query[0], bound)
        )
        return rows

    def _series_number(self, table: str, equals: dict[str, str]) -> int | None:
        """The serving copy's number of the series ``equals`` names (metric and statistic),
        :data:`NO_SERIES` when the copy has no such series, None when there is no current
        copy or the filters do not name one series."""
        facts = self.reads.serving_facts(table)
        metric, statistic = equals.get("metric"), equals.get("statistic")
        if facts is None or "series" not in facts or metric is None or statistic is None:
            return None
        number = facts["series"].get(metric, {}).get(statistic)
        return NO_SERIES if number is None else int(number)

    def _read(self, query: str, values: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.reads.read(query, values, timeout=self.timeout)

    def detections(self, slug: str) -> list[dict[str, Any]]:
        """The detections of ``slug`` (shifts first, strongest first)."""
        self._project_row(slug)
        table = result_table(slug, "detections")
        if not self.reads.has_results(table):
            return []
        query = self.reads.statements("results_detections", table=table)[0]
        columns = self.reads.read_columns(query, timeout=self.timeout)
        names = list(columns)
        count = len(next(iter(columns.values()))) if columns else 0
        return [{name: plain_value(columns[name][i]) for name in names} for i in range(count)]

    def clients_sql(self, slug: str) -> str | None:
        """The per-client query that computed ``slug``'s latest results, as the run stored it
        (None for results written before runs stored it: a rerun adds it)."""
        self._project_row(slug)
        query = self.reads.statements("results_project_row")[0]
        columns = self._cached(
            PROJECTS_TABLE,
            ("row", slug),
            lambda: self.reads.read_columns(query, [slug], timeout=self.timeout),
        )
        values = columns.get("clients_sql")
        return None if values is None or not len(values) else plain_value(values[0])

    def _project_rows(self) -> list[dict[str, Any]]:
        if not self.reads.has_results(PROJECTS_TABLE):
            return []
        query = self.reads.statements("results_projects")[0]
        names = ["slug", "name", "platform", "xaxis", "branches", "dimensions"]
        names += ["start_date", "end_date", "metrics", "metric_groups", "updated_at"]
        rows = self._cached(PROJECTS_TABLE, ("rows",), lambda: self._read(query))
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _project_row(self, slug: str) -> dict[str, Any]:
        rows = self._project_rows()
        for row in rows:
            if row["slug"] == slug:
                return row
        known = ", ".join(row["slug"] for row in rows) or "none yet: run opwatch run"
        raise ProjectNotFoundError(f'no project "{slug}" in the results; known: {known}')

    def _summary(self, row: dict[str, Any]) -> ProjectSummary:
        slug = row["slug"]
        first, last = self._extent(slug)
        return ProjectSummary(
            slug=slug,
            name=row["name"],
            platform=row["platform"],
            xaxis=row["xaxis"],
            branches=tuple(row["branches"] or ()),
            dimensions=tuple(row["dimensions"] or ()),
            first_day=first,
            last_day=last,
            last_run=self._last_run(slug),
            open_detections=self._open_detections(slug),
        )

    def _extent(self, slug: str) -> tuple[date | None, date | None]:
        table = result_table(slug, "statistics")
        facts = self.reads.serving_facts(table)
        if facts is not None:
            return date.fromisoformat(facts["first_day"]), date.fromisoformat(facts["last_day"])
        if not self.reads.has_results(table):
            return None, None
        query = self.reads.statements("results_extent", table=table)[0]
        first, last, _ = self._cached(table, ("extent",), lambda: self._read(query)[0])
        return first, last

    def _dimension_values(self, slug: str, dimension: str) -> list[str | None]:
        table = result_table(slug, "statistics")
        facts = self.reads.serving_facts(table)
        if facts is not None and dimension in facts["facets"]:
            return [value for value, _, _ in facts["facets"][dimension]]
        if not self.reads.has_results(table):
            return []
        query = self.reads.statements(
            "results_dimension_values",
            table=table,
            dimension=dimension,
        )[0]
        rows = self._cached(table, ("values", dimension), lambda: self._read(query))
        return [None if value is None else str(value) for value, _ in rows]

    def _reference_branch(self, slug: str, branches: tuple[str, ...]) -> str | None:
        """Read from the results, not the config: the branch with rows but no comparison
        rows is the one the statistics step compared the others to."""
        table = result_table(slug, "statistics")
        facts = self.reads.serving_facts(table)
        rows: list[tuple[Any, ...]]
        if facts is not None and "branch" in facts["facets"]:
            rows = [(branch, compared) for branch, _, compared in facts["facets"]["branch"]]
        elif not self.reads.has_results(table):
            return None
        else:
            query = self.reads.statements("results_branches", table=table)[0]
            rows = self._cached(table, ("branches",), lambda: self._read(query))
        compared = {branch: bool(flag) for branch, flag in rows}
        if not any(compared.values()):
            return None
        candidates = {branch for branch, flag in compared.items() if not flag}
        return next((b for b in (*branches, *sorted(candidates)) if b in candidates), None)

    def _open_detections(self, slug: str) -> int:
        table = result_table(slug, "detections")
        if not self.reads.has_results(table):
            return 0
        query = self.reads.statements("results_count_detections", table=table)[0]
        return int(self._cached(table, ("shifts",), lambda: self._read(query)[0][0]))

    def _last_run(self, slug: str) -> datetime | None:
        if self.state is None:
            return None
        finished = [
            day.finished_at
            for day in self.state.days(slug).values()
            if day.status == SUCCESS and day.finished_at is not None
        ]
        return max(finished, default=None)


def _json(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str) else value)
