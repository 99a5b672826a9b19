"""Render a run's queries: Jinja templates (BigQuery SQL) → sqlglot → the engine's dialect.

The templates in ``sql/templates`` hold every SQL token; this module only chooses values for
them (which branch rule applies, which experiments column holds enrollments) and translates the
result. One set of templates serves every engine, because users' snippets are BigQuery SQL
anyway and must be translated in any case. Names and values from the config (branches, metrics,
dimensions, the experiment slug) are quoted by the templates' filters, as BigQuery quotes them
(see :mod:`opwatch.sql.environment`); sqlglot reads them back when it translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jinja2

from opwatch.config.resolved import DataSource, Project
from opwatch.sql.environment import sql_environment
from opwatch.sql.plan import QueryPlan
from opwatch.sql.translate import TableMap, translate

CLIENTS_TABLE = "opwatch_clients"
"""The per-client table a run materializes; the scalar and histogram queries read it."""
MAX_PINGS_PER_DAY = 10_000
ENTIRE_POPULATION_BRANCH = "active"
ROLLOUT_BRANCHES = ("enabled", "disabled")
DESKTOP_PLATFORM = "firefox_desktop"


@dataclass(frozen=True)
class Enrollment:
    """Where a client's branch in experiment ``slug`` is read: ``column_type`` is the population
    data source's ``experiments_column_type`` (native, glean and simple tables keep enrollments
    each their own way, which ``population.sql.j2`` reads; any other has none)."""

    column_type: str
    slug: str


@dataclass(frozen=True)
class BranchRule:
    """How a population row gets its branch, and which branches are kept.

    OpMon's order: configured branches (the client's branch in the experiment), else a boolean
    pref (enabled/disabled), else the entire population (one branch, ``active``), else a
    rollout (enabled if enrolled in the slug). Rows outside the kept branches are dropped,
    except when the entire population is monitored.
    """

    rule: str
    enrollment: Enrollment | None
    boolean_pref: str | None
    kept: tuple[str, ...]


@dataclass(frozen=True)
class SegmentSource:
    """A segment with the columns of the data source it is computed from."""

    name: str
    select_expression: str
    from_expression: str
    submission_date_column: str
    client_id_column: str
    window_days: int


@dataclass(frozen=True)
class RunQueries:
    """A run's queries in one dialect: the per-client table and the two tables reshaped from it."""

    clients: str
    scalar: str | None
    histogram: str | None


def render_run(plan: QueryPlan, dialect: str, tables: TableMap | None = None) -> RunQueries:
    """The queries of ``plan`` in ``dialect``; table names mapped by ``tables``."""
    context = _context(plan)
    rendered = {
        name: _template(f"{name}.sql.j2").render(context)
        for name in ("clients", "scalar", "histogram")
    }
    return RunQueries(
        clients=translate(rendered["clients"], dialect, tables, pretty=True),
        scalar=translate(rendered["scalar"], dialect, pretty=True) if plan.scalar_columns else None,
        histogram=(
            translate(rendered["histogram"], dialect, pretty=True)
            if plan.histogram_columns
            else None
        ),
    )


def branch_rule(project: Project) -> BranchRule:
    """The branch rule of ``project`` (see :class:`BranchRule`)."""
    population = project.population
    enrollment = _enrollment(project, project.data_sources[population.data_source])
    if population.branches:
        kept = () if population.monitor_entire_population else population.branches
        return BranchRule("experiment", enrollment, None, kept)
    if population.boolean_pref:
        return BranchRule("boolean_pref", None, population.boolean_pref, ROLLOUT_BRANCHES)
    if population.monitor_entire_population:
        return BranchRule("entire_population", None, None, ())
    return BranchRule("rollout", enrollment, None, ROLLOUT_BRANCHES)


def _enrollment(project: Project, source: DataSource) -> Enrollment:
    column_type = source.experiments_column_type
    if column_type is None:
        column_type = "native" if project.platform == DESKTOP_PLATFORM else "glean"
    return Enrollment(column_type, project.enrollment_slug)


def _context(plan: QueryPlan) -> dict[str, object]:
    project = plan.project
    population = project.data_sources[project.population.data_source]
    return {
        "plan": plan,
        "population": population,
        "dimensions": [project.dimensions[name] for name in plan.dimensions],
        "channel": project.population.channel,
        "branch": branch_rule(project),
        "segments": _segments(project),
        "clients_table": CLIENTS_TABLE,
        "max_pings_per_day": MAX_PINGS_PER_DAY,
    }


def _segments(project: Project) -> list[SegmentSource]:
    segments = []
    for name in project.population.segments:
        segment = project.segments[name]
        source = project.segment_data_sources[segment.data_source]
        segments.append(
            SegmentSource(
                name,
                segment.select_expression,
                source.from_expression,
                source.submission_date_column,
                source.client_id_column or "client_id",
                source.window_days,
            )
        )
    return segments


@cache
def _environment() -> jinja2.Environment:
    return sql_environment(jinja2.PackageLoader("opwatch.sql", "templates"), dialect="bigquery")


def _template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


__all__ = ["CLIENTS_TABLE", "BranchRule", "Enrollment", "RunQueries", "branch_rule", "render_run"]
