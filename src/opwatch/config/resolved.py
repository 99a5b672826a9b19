"""A project after merging and validation: everything later stages need, nothing left to look up.

The ETL, statistics, detection and the dashboards read these objects, never raw TOML. Snippets
are already expanded (Jinja functions and parameters, ``{dataset}``) and references resolved.
:meth:`Project.to_config` writes the project back as one self-contained generation 2 config,
which is what ``opwatch show`` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

DEFAULT_SUBMISSION_DATE_COLUMN = "submission_date"
DEFAULT_CLIENT_ID_COLUMN = "client_id"
DEFAULT_BUILD_ID_COLUMN = "SAFE.SUBSTR(application.build_id, 0, 8)"
"""OpMon's default: the YYYYMMDD part of the build id."""
RESULT_COLUMNS = frozenset(
    {"submission_date", "client_id", "build_id", "branch", "name", "agg_type", "value", "probe"}
    | {"metric", "statistic", "parameter", "comparison", "point", "lower", "upper"}
)
"""Columns of the result tables besides dimensions; a dimension may not take one of these names."""


def table_slug(slug: str) -> str:
    """A slug made safe for table names, as OpMon does: ``[^a-zA-Z0-9_]`` → ``_``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", slug)


ResultKind = Literal["scalar", "histogram", "statistics", "detections"]
"""The result tables of a project: per-client scalars and histograms, statistics, changes."""


def result_table(slug: str, kind: ResultKind) -> str:
    """The name of project ``slug``'s result table of ``kind``: ``<table slug>_<kind>``. The
    one place that spells it, for the writers and the readers alike."""
    return f"{table_slug(slug)}_{kind}"


@dataclass(frozen=True)
class DataSource:
    """A table or subquery, with the columns that identify date, client and build."""

    name: str
    from_expression: str
    submission_date_column: str = DEFAULT_SUBMISSION_DATE_COLUMN
    client_id_column: str | None = DEFAULT_CLIENT_ID_COLUMN
    build_id_column: str = DEFAULT_BUILD_ID_COLUMN
    experiments_column_type: str | None = None
    friendly_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Dimension:
    """A column the statistics are split by."""

    name: str
    data_source: str
    select_expression: str
    friendly_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Segment:
    """A boolean per-client expression restricting the population."""

    name: str
    data_source: str
    select_expression: str
    friendly_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class SegmentDataSource:
    """A table segments are computed from; a client is in a segment on a day when the
    segment's expression holds over its rows of the ``window_days`` days up to that day."""

    name: str
    from_expression: str
    submission_date_column: str = DEFAULT_SUBMISSION_DATE_COLUMN
    client_id_column: str = DEFAULT_CLIENT_ID_COLUMN
    window_days: int = 0


@dataclass(frozen=True)
class Statistic:
    """A statistic requested for a metric, with its parameters."""

    name: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatisticsSettings:
    """How a project's statistics get their confidence intervals (``[project.statistics]``)."""

    interval_method: str = "auto"
    confidence_level: float = 0.95
    bootstrap_samples: int = 1000
    seed: int = 0
    reference_branch: str | None = None
    """The branch others are compared to; by default ``control``, else ``disabled``, else
    the first branch."""


@dataclass(frozen=True)
class Monitor:
    """How a metric's changes are detected (``[metrics.X.monitor]``)."""

    technique: str = "default"
    args: dict[str, Any] = field(default_factory=dict)
    lower_is_better: bool | None = None
    platforms: tuple[str, ...] | None = None
    """Platforms whose series are searched; None: the run's choice (Windows, Linux, Darwin)."""
    alert: bool | None = None
    """Changes become bugs (True) or emails only (False); None: not said here."""
    emails: tuple[str, ...] = ()
    """``bugzilla_notification_emails``: who is needinfo'd or emailed, the first first."""


@dataclass(frozen=True)
class Metric:
    """A metric aggregated per client by ``select_expression`` over ``data_source``."""

    name: str
    data_source: str
    select_expression: str
    type: str
    statistics: tuple[Statistic, ...]
    friendly_name: str | None = None
    description: str | None = None
    category: str | None = None
    bigger_is_better: bool | None = None
    buckets: dict[str, Any] | None = None
    """The bucket layout of a histogram metric (``[metrics.X.buckets]``), when given."""
    monitor: Monitor = field(default_factory=Monitor)

    @property
    def lower_is_better(self) -> bool | None:
        """From ``monitor.lower_is_better``, else the opposite of ``bigger_is_better``."""
        if self.monitor.lower_is_better is not None:
            return self.monitor.lower_is_better
        return None if self.bigger_is_better is None else not self.bigger_is_better


@dataclass(frozen=True)
class Alert:
    """An alert rule over some metrics' statistics."""

    name: str
    type: str
    metrics: tuple[str, ...]
    statistics: tuple[str, ...] | None = None
    parameters: tuple[float, ...] | None = None
    min: tuple[float, ...] | None = None
    max: tuple[float, ...] | None = None
    window_size: int | None = None
    max_relative_change: float | None = None


@dataclass(frozen=True)
class MetricGroup:
    """Metrics drawn on one tile."""

    name: str
    metrics: tuple[str, ...]
    friendly_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Population:
    """Who is monitored and how they are split into branches."""

    data_source: str
    branches: tuple[str, ...] = ()
    boolean_pref: str | None = None
    channel: str | None = None
    monitor_entire_population: bool = False
    dimensions: tuple[str, ...] = ()
    group_by_dimension: str | None = None
    segments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """A fully merged, validated monitoring project."""

    slug: str
    name: str
    platform: str
    xaxis: str
    start_date: date | None
    end_date: date | None
    population: Population
    metrics: tuple[Metric, ...]
    data_sources: dict[str, DataSource]
    dimensions: dict[str, Dimension]
    segments: dict[str, Segment]
    alerts: tuple[Alert, ...] = ()
    segment_data_sources: dict[str, SegmentDataSource] = field(default_factory=dict)
    metric_groups: tuple[MetricGroup, ...] = ()
    skip: bool = False
    is_rollout: bool = False
    compact_visualization: bool = False
    generation: int = 2
    source_files: tuple[Path, ...] = ()
    statistics: StatisticsSettings = field(default_factory=StatisticsSettings)
    experiment_slug: str | None = None
    """The experiment or rollout whose enrollments give branches, when it is not the slug (two
    projects of one experiment, e.g. both config generations run side by side)."""

    @property
    def enrollment_slug(self) -> str:
        """The slug looked up in clients' enrollments."""
        return self.experiment_slug or self.slug

    @property
    def table_slug(self) -> str:
        """The slug as used in result table names."""
        return table_slug(self.slug)

    def metric(self, name: str) -> Metric:
        """The metric called ``name``."""
        return next(metric for metric in self.metrics if metric.name == name)

    def to_config(self) -> dict[str, Any]:
        """This project as a self-contained generation 2 configuration (for ``opwatch show``)."""
        project: dict[str, Any] = {
            "name": self.name,
            "platform": self.platform,
            "xaxis": self.xaxis,
        }
        for key in ("start_date", "end_date"):
            if getattr(self, key) is not None:
                project[key] = getattr(self, key)
        project |= {
            "skip": self.skip,
            "is_rollout": self.is_rollout,
            "skip_default_metrics": True,
            "compact_visualization": self.compact_visualization,
            "metrics": [m.name for m in self.metrics],
            "alerts": [a.name for a in self.alerts],
            "population": _clean(self.population.__dict__),
        }
        if self.statistics != StatisticsSettings():
            project["statistics"] = _clean(self.statistics.__dict__)
        if self.metric_groups:
            project["metric_groups"] = {
                g.name: _clean(g.__dict__, drop=("name",)) for g in self.metric_groups
            }
        return _clean(
            {
                "project": project,
                "metrics": {m.name: _metric_config(m) for m in self.metrics},
                "data_sources": {
                    n: _clean(d.__dict__, drop=("name",)) for n, d in self.data_sources.items()
                },
                "dimensions": {
                    n: _clean(d.__dict__, drop=("name",)) for n, d in self.dimensions.items()
                },
                "segments": {
                    n: _clean(s.__dict__, drop=("name",)) for n, s in self.segments.items()
                },
                "alerts": {a.name: _clean(a.__dict__, drop=("name",)) for a in self.alerts},
            }
        )


def _metric_config(metric: Metric) -> dict[str, Any]:
    config = _clean(metric.__dict__, drop=("name", "statistics", "monitor"))
    config["statistics"] = {s.name: dict(s.parameters) for s in metric.statistics}
    if metric.monitor != Monitor():
        monitor = metric.monitor
        config["monitor"] = _clean(
            {
                "change_detection_technique": monitor.technique,
                "change_detection_args": monitor.args,
                "lower_is_better": monitor.lower_is_better,
                "platforms": monitor.platforms,
                "alert": monitor.alert,
                "bugzilla_notification_emails": list(monitor.emails) or None,
            }
        )
    return config


def _clean(values: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Drop unset values and turn tuples into lists, as TOML and JSON want them."""
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key in drop or value is None or value == () or value == {}:
            continue
        cleaned[key] = list(value) if isinstance(value, tuple) else value
    return cleaned
