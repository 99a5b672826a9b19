"""What one run of a project computes: the dates it reads and writes, and a column per metric.

A :class:`QueryPlan` is pure data derived from a :class:`~opwatch.config.Project` and the run
dates; the templates turn it into SQL. Keeping the decisions here (which window a run reads,
which aggregation a metric gets, what a column is called) keeps the templates free of logic
and lets tests check the decisions without SQL.

Two x-axes, as OpMon defines them:

- ``submission_date``: each day is its own point. A batch of consecutive days is read by one
  query and written as one partition per day (a backfill reads its input once per batch).
- ``build_id``: a run on day D reads submission dates D-14…D and keeps builds dated D-14 or
  later; each client is aggregated per build over that whole window. The partition of the latest
  run date holds every build to be graphed; earlier partitions are backups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

import sqlglot
from sqlglot import exp

from opwatch.config.resolved import RESULT_COLUMNS, DataSource, Metric, Project
from opwatch.errors import RenderError

BUILD_WINDOW_DAYS = 14
"""Days of submissions (and of builds) a build_id run covers, as OpMon does."""
LEGACY_AGGREGATIONS = ("SUM", "MAX")
"""Generation 1 probes are per-ping values; OpMon 2022 kept both their sum and their maximum."""
_WRAPPERS = (exp.Coalesce, exp.Cast, exp.TryCast, exp.Paren)


@dataclass(frozen=True)
class MetricColumn:
    """One column of the per-client table: a metric aggregated one way.

    ``kind`` says what ``expression`` is, and so how the template aggregates it per client:

    - ``aggregate``: a scalar aggregate over the client's rows (generation 2: ``SUM(x)``);
    - ``per_ping``: a per-row scalar, aggregated with ``agg_type`` (generation 1 probes);
    - ``histogram_per_ping``: one histogram (a struct with ``values``) per row, from a
      generation 2 ``ARRAY_AGG(x IGNORE NULLS)``; only its buckets are collected, since
      the normalized histogram needs nothing else;
    - ``histogram_json``: a histogram's JSON string per row (generation 1 probes);
    - ``histogram_aggregate``: any other expression giving a client's list of histograms.
    """

    column: str
    metric: str
    agg_type: str
    kind: str
    expression: str

    @property
    def histogram(self) -> bool:
        """Whether the column holds a normalized histogram (else a number)."""
        return self.kind.startswith("histogram")


@dataclass(frozen=True)
class SourceQuery:
    """The metrics read from one data source, computed by one scan of it."""

    index: int
    source: DataSource
    columns: tuple[MetricColumn, ...]


@dataclass(frozen=True)
class QueryPlan:
    """Everything the templates need to compute one project over a run's dates."""

    project: Project
    run_dates: tuple[date, ...]
    """The partitions this run writes, in order."""
    read_start: date
    read_end: date
    sources: tuple[SourceQuery, ...]

    @property
    def by_build(self) -> bool:
        """Whether the x-axis is the build id (else the submission date)."""
        return self.project.xaxis == "build_id"

    @property
    def build_floor(self) -> date:
        """The oldest build date a build_id run keeps."""
        return self.run_dates[-1] - timedelta(days=BUILD_WINDOW_DAYS)

    @property
    def columns(self) -> tuple[MetricColumn, ...]:
        """Every metric column, in project order within each data source."""
        return tuple(column for source in self.sources for column in source.columns)

    @property
    def scalar_columns(self) -> tuple[MetricColumn, ...]:
        """Columns that feed ``<slug>_scalar``."""
        return tuple(column for column in self.columns if not column.histogram)

    @property
    def histogram_columns(self) -> tuple[MetricColumn, ...]:
        """Columns that feed ``<slug>_histogram``."""
        return tuple(column for column in self.columns if column.histogram)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimension columns of every result table, in configured order."""
        return self.project.population.dimensions


def plan_run(project: Project, run_dates: list[date]) -> QueryPlan:
    """The plan of ``project`` over ``run_dates`` (consecutive days; one day for build_id)."""
    dates = tuple(sorted(run_dates))
    if not dates:
        raise RenderError(f"{project.slug}: a run needs at least one date")
    if any((b - a).days != 1 for a, b in pairwise(dates)):
        raise RenderError(f"{project.slug}: the dates of one run must be consecutive days")
    if project.xaxis == "build_id" and len(dates) > 1:
        raise RenderError(f"{project.slug}: a build_id project runs one date at a time")
    _check_dimension_names(project)
    read_start = dates[0]
    if project.xaxis == "build_id":
        read_start = dates[0] - timedelta(days=BUILD_WINDOW_DAYS)
    return QueryPlan(project, dates, read_start, dates[-1], _source_queries(project))


def _source_queries(project: Project) -> tuple[SourceQuery, ...]:
    """Metrics grouped by data source, each aggregation numbered ``_metric_<n>`` across all."""
    aggregations: dict[str, list[tuple[Metric, str, str, str]]] = {}
    for metric in project.metrics:
        for agg_type, kind, sql in _aggregations(metric, legacy=project.generation == 1):
            aggregations.setdefault(metric.data_source, []).append((metric, agg_type, kind, sql))
    queries, number = [], 0
    for index, (source, items) in enumerate(aggregations.items()):
        columns = []
        for metric, agg_type, kind, sql in items:
            columns.append(MetricColumn(f"_metric_{number}", metric.name, agg_type, kind, sql))
            number += 1
        queries.append(SourceQuery(index, project.data_sources[source], tuple(columns)))
    return tuple(queries)


def _aggregations(metric: Metric, *, legacy: bool) -> list[tuple[str, str, str]]:
    """(agg_type, kind, SQL) of each column a metric needs (see :class:`MetricColumn`).

    Generation 2 expressions already aggregate (``SUM(x)``, ``ARRAY_AGG(...)``). Generation 1
    probes are per-ping values: scalars get a SUM and a MAX, histograms are extracted from
    their JSON, as OpMon 2022 did.
    """
    expression = metric.select_expression
    if metric.type == "histogram":
        if legacy:
            return [("HISTOGRAM", "histogram_json", expression)]
        per_ping = _collected_histogram(expression)
        if per_ping is not None:
            return [("HISTOGRAM", "histogram_per_ping", per_ping)]
        return [("HISTOGRAM", "histogram_aggregate", expression)]
    if legacy:
        return [(agg, "per_ping", expression) for agg in LEGACY_AGGREGATIONS]
    return [(aggregation_name(expression), "aggregate", expression)]


@cache
def _collected_histogram(expression: str) -> str | None:
    """``x`` when ``expression`` is ``ARRAY_AGG(x IGNORE NULLS)`` (every corpus histogram)."""
    node = sqlglot.parse_one(expression, read="bigquery")
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.ArrayAgg):
        collected: exp.Expression = node.this.this
        return collected.sql(dialect="bigquery")
    return None


@cache
def aggregation_name(expression: str) -> str:
    """The aggregate a scalar expression applies: ``COALESCE(SUM(x), 0)`` → ``SUM``.

    Wrappers that keep the aggregate's meaning (COALESCE, CAST) are looked through; anything
    else (a ratio, a condition over an aggregate) is an ``EXPRESSION``.
    """
    node = sqlglot.parse_one(expression, read="bigquery")
    while isinstance(node, _WRAPPERS):
        node = node.this
    if not isinstance(node, exp.AggFunc):
        return "EXPRESSION"
    return node.sql(dialect="bigquery").split("(", 1)[0].upper()  # BigQuery's spelling


def _check_dimension_names(project: Project) -> None:
    clashes = sorted(set(project.population.dimensions) & RESULT_COLUMNS)
    if clashes:
        raise RenderError(
            f"{project.slug}: dimension {clashes[0]!r} has the name of a result column; "
            f"rename the dimension (reserved: {', '.join(sorted(RESULT_COLUMNS))})"
        )
