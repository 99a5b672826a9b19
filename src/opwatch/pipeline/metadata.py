"""``projects_v1``: one row per project, what the dashboards need to draw it.

The row is derived from the configuration alone (never from data), so it is rewritten for every
project a run touches: its old row is replaced, other projects' rows are kept.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from opwatch.config.resolved import Metric, Project
from opwatch.pipeline.database import now
from opwatch.sql.render import ENTIRE_POPULATION_BRANCH, ROLLOUT_BRANCHES, branch_rule

PROJECTS_TABLE = "projects_v1"
PROJECTS_COLUMNS = {
    "slug": "string",
    "name": "string",
    "platform": "string",
    "xaxis": "string",
    "branches": "string[]",
    "dimensions": "string[]",
    "start_date": "date",
    "end_date": "date",
    "group_by_dimension": "string",
    "alerting": "bool",
    "compact_visualization": "bool",
    "metrics": "json",
    "metric_groups": "json",
    "config_hash": "string",
    "updated_at": "timestamp",
    "clients_sql": "string",
}
"""Columns of ``projects_v1`` with engine-neutral types."""
RESULTS_FORMAT = 2
"""Version of the result tables' shape; part of every config hash, so that a change of shape
recomputes what was written in the old one."""


def config_hash(project: Project) -> str:
    """A stable digest of everything that determines a project's results."""
    determinants = {
        "format": RESULTS_FORMAT,
        "project": project.to_config(),
        # not in the config text, yet they change the SQL: legacy probes aggregate per ping,
        # and enrollments are looked up under the experiment's slug
        "generation": project.generation,
        "enrollment_slug": project.enrollment_slug,
    }
    config = json.dumps(determinants, sort_keys=True, default=str)
    return hashlib.sha256(config.encode()).hexdigest()[:16]


def project_row(project: Project, clients_sql: str | None = None) -> dict[str, Any]:
    """The ``projects_v1`` row of ``project``, with the per-client query that computed its
    latest results (the metric pages show it: the SQL that ran, not today's config's)."""
    return {
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "xaxis": project.xaxis,
        "branches": list(branches(project)),
        "dimensions": list(project.population.dimensions),
        "start_date": project.start_date,
        "end_date": project.end_date,
        "group_by_dimension": project.population.group_by_dimension,
        "alerting": bool(project.alerts),
        "compact_visualization": project.compact_visualization,
        "metrics": [_metric(metric) for metric in project.metrics],
        "metric_groups": [
            {"name": g.name, "metrics": list(g.metrics), "friendly_name": g.friendly_name}
            for g in project.metric_groups
        ],
        "config_hash": config_hash(project),
        "updated_at": now(),
        "clients_sql": clients_sql,
    }


def branches(project: Project) -> tuple[str, ...]:
    """The branches a project's results hold, in configured order."""
    if project.population.branches:
        return project.population.branches
    if branch_rule(project).rule == "entire_population":
        return (ENTIRE_POPULATION_BRANCH,)
    return ROLLOUT_BRANCHES


def _metric(metric: Metric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "type": metric.type,
        "friendly_name": metric.friendly_name,
        "description": metric.description,
        "category": metric.category,
        "data_source": metric.data_source,
        "select_expression": metric.select_expression,
        "bigger_is_better": metric.bigger_is_better,
        "statistics": [{"name": s.name, "parameters": s.parameters} for s in metric.statistics],
    }
