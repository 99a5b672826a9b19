"""Check a merged configuration's references and build the :class:`Project` later stages use.

Every name a project uses (metrics, data sources, dimensions, segments, alerts, functions) must
be defined in one of its layers; every snippet must expand and parse. All problems are reported,
each placed in the file that wrote the offending key, with the files searched for a missing name.
"""

from __future__ import annotations

from opwatch.config.alert_rules import resolve_alerts, resolve_metric_groups
from opwatch.config.checks import CheckContext
from opwatch.config.data_sources import DataSourceResolver
from opwatch.config.diagnostics import Diagnostic
from opwatch.config.merge import LayerStack
from opwatch.config.models import (
    HISTOGRAM_STATISTICS,
    ConfigFile,
    DimensionSpec,
    MetricSpec,
    MonitorSpec,
    PopulationSpec,
    ProjectSpec,
    SegmentSpec,
    StatisticsSettingsSpec,
)
from opwatch.config.resolved import (
    DEFAULT_CLIENT_ID_COLUMN,
    DEFAULT_SUBMISSION_DATE_COLUMN,
    RESULT_COLUMNS,
    DataSource,
    Dimension,
    Metric,
    Monitor,
    Population,
    Project,
    Segment,
    SegmentDataSource,
    Statistic,
    StatisticsSettings,
)
from opwatch.config.sql_check import SnippetKind


class ProjectResolver:
    """Resolves one project; :attr:`diagnostics` holds what is wrong with it."""

    def __init__(self, slug: str, stack: LayerStack, config: ConfigFile) -> None:
        self.slug = slug
        self.stack = stack
        self.config = config
        self.context = CheckContext(stack, config)
        self.snippets = self.context.snippets
        self.sources = DataSourceResolver(self.context)
        self.segment_sources: dict[str, SegmentDataSource] = {}

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem found so far."""
        return self.context.diagnostics

    def resolve(self) -> Project | None:
        """The project, or None when any error was found (see :attr:`diagnostics`)."""
        spec = self.config.project or ProjectSpec()
        population_spec = spec.population or PopulationSpec()
        self._check_dates(spec)
        metric_names = self._metric_names(spec)
        metrics = [m for m in (self._metric(name) for name in metric_names) if m]
        self._check_statistics(metrics, metric_names)
        population = self._population(population_spec)
        dimensions = {n: d for n in population.dimensions if (d := self._dimension(n))}
        segments = {n: s for n in population.segments if (s := self._segment(n))}
        alerts = resolve_alerts(self.context, spec, metric_names)
        groups = resolve_metric_groups(self.context, spec, metric_names)
        statistics = self._statistics_settings(spec, population)
        if self.context.has_errors:
            return None
        return Project(
            slug=self.slug,
            name=spec.name or self.slug,
            platform=spec.platform or "",
            xaxis=spec.xaxis or "submission_date",
            start_date=spec.start_date,
            end_date=spec.end_date,
            population=population,
            metrics=tuple(metrics),
            data_sources=dict(self.sources.resolved),
            dimensions=dimensions,
            segments=segments,
            segment_data_sources=dict(self.segment_sources),
            alerts=tuple(alerts),
            metric_groups=tuple(groups),
            skip=bool(spec.skip),
            is_rollout=bool(spec.is_rollout),
            compact_visualization=bool(spec.compact_visualization),
            statistics=statistics,
            generation=1 if self.stack.project.is_legacy else 2,
            source_files=tuple(f.path for f in self.stack.files()),
        )

    # --- project, metrics and statistics ---------------------------------------------------

    def _statistics_settings(self, spec: ProjectSpec, population: Population) -> StatisticsSettings:
        settings = spec.statistics or StatisticsSettingsSpec()
        reference = settings.reference_branch or spec.reference_branch
        if reference is not None and population.branches and reference not in population.branches:
            written = ("statistics",) if settings.reference_branch else ()
            self.context.warning(
                ("project", *written, "reference_branch"),
                f'reference branch "{reference}" is not one of the project\'s branches, '
                "so no branch is compared to it",
                f"use one of: {', '.join(population.branches)}",
            )
        return StatisticsSettings(**{**settings.model_dump(), "reference_branch": reference})

    def _check_dates(self, spec: ProjectSpec) -> None:
        if spec.start_date and spec.end_date and spec.end_date < spec.start_date:
            self.context.warning(
                ("project", "end_date"),
                f"end_date {spec.end_date} is before start_date {spec.start_date}, "
                "so the project never runs",
                "swap the dates, or set end_date on or after start_date",
            )

    def _metric_names(self, spec: ProjectSpec) -> list[str]:
        """The defaults' metrics, then the project's, each once (OpMon takes them as a set)."""
        self.context.duplicates(("project", "metrics"))
        return list(dict.fromkeys(spec.metrics or []))

    def _metric(self, name: str) -> Metric | None:
        spec = self.config.metrics.get(name)
        if spec is None:
            self.context.undefined("metric", "metrics", name, ("project", "metrics"))
            return None
        path = ("metrics", name)
        if not spec.select_expression:
            hint = (
                (
                    "it is derived from " + ", ".join(spec.depends_on) + ", which monitoring "
                    "cannot compute; list those metrics instead"
                )
                if spec.depends_on
                else ("add select_expression, the per-client aggregation in BigQuery SQL")
            )
            self.context.error(path, f'metric "{name}" has no select_expression', hint)
            return None
        source = self._metric_data_source(name, spec)
        select = self.snippets.expand(
            (*path, "select_expression"), spec.select_expression, SnippetKind.EXPRESSION
        )
        if source is None or select is None:
            return None
        return Metric(
            name=name,
            data_source=source.name,
            select_expression=select,
            type=spec.type or "scalar",
            statistics=_statistics(spec),
            friendly_name=spec.friendly_name,
            description=spec.description,
            category=spec.category,
            bigger_is_better=spec.bigger_is_better,
            buckets=spec.buckets.model_dump(exclude_none=True) if spec.buckets else None,
            monitor=_monitor(spec.monitor),
        )

    def _metric_data_source(self, name: str, spec: MetricSpec) -> DataSource | None:
        if not spec.data_source:
            self.context.error(
                ("metrics", name),
                f'metric "{name}" has no data_source',
                'add data_source = "<name of a [data_sources] table>"',
            )
            return None
        return self.sources.get(spec.data_source, ("metrics", name, "data_source"))

    def _check_statistics(self, metrics: list[Metric], project_metrics: list[str]) -> None:
        for metric in metrics:
            path = ("metrics", metric.name, "statistics")
            if not metric.statistics:
                self.context.error(
                    ("metrics", metric.name),
                    f'metric "{metric.name}" has no statistics',
                    f"add [metrics.{metric.name}.statistics] with, for example, mean = {{}}",
                )
            for statistic in metric.statistics:
                if metric.type == "histogram" and statistic.name not in HISTOGRAM_STATISTICS:
                    self.context.error(
                        (*path, statistic.name),
                        f'statistic "{statistic.name}" is not defined for histograms',
                        f"use one of: {', '.join(HISTOGRAM_STATISTICS)}",
                    )
                denominator = statistic.parameters.get("denominator_metric")
                if denominator is not None and denominator not in project_metrics:
                    where = (*path, statistic.name, "denominator_metric")
                    if denominator in self.config.metrics:
                        self.context.error(
                            where,
                            f'denominator metric "{denominator}" is not one of '
                            "the project's metrics",
                            f'add "{denominator}" to project.metrics',
                        )
                    else:
                        self.context.undefined("metric", "metrics", denominator, where, item=False)

    # --- data sources, population, dimensions, segments -----------------------------------

    def _population(self, spec: PopulationSpec) -> Population:
        path = ("project", "population")
        if not spec.data_source:
            self.context.error(
                path,
                "the population has no data_source",
                'add data_source = "<data source>" to [project.population]',
            )
        else:
            self.sources.get(spec.data_source, (*path, "data_source"))
        self.context.duplicates((*path, "branches"))
        self.context.duplicates((*path, "dimensions"))
        if spec.branches and spec.boolean_pref:
            self.context.warning(
                (*path, "boolean_pref"),
                "boolean_pref is ignored because branches are given",
                "remove one of the two",
            )
        dimensions = tuple(dict.fromkeys(spec.dimensions or ()))
        if spec.group_by_dimension and spec.group_by_dimension not in dimensions:
            self.context.error(
                (*path, "group_by_dimension"),
                f'group_by_dimension "{spec.group_by_dimension}" is not one of the '
                "population's dimensions",
                f"use one of: {', '.join(dimensions) or '-'}; "
                "or add it to project.population.dimensions",
            )
        return Population(
            data_source=spec.data_source or "",
            branches=tuple(dict.fromkeys(spec.branches or ())),
            boolean_pref=spec.boolean_pref,
            channel=spec.channel,
            monitor_entire_population=bool(spec.monitor_entire_population),
            dimensions=dimensions,
            group_by_dimension=spec.group_by_dimension,
            segments=tuple(dict.fromkeys(spec.segments or ())),
        )

    def _select_and_source(
        self, kind: str, path: tuple[str, str], spec: DimensionSpec | SegmentSpec
    ) -> tuple[str, str] | None:
        """The two keys a dimension or segment needs, or None after reporting the missing one."""
        if spec.select_expression and spec.data_source:
            return spec.select_expression, spec.data_source
        key = "data_source" if spec.select_expression else "select_expression"
        self.context.error(path, f'{kind} "{path[1]}" has no {key}', f"add {key} = ...")
        return None

    def _dimension(self, name: str) -> Dimension | None:
        if name in RESULT_COLUMNS:
            self.context.item_error(
                ("project", "population", "dimensions"),
                name,
                f'dimension "{name}" has the name of a column of the result tables',
                f"define it under another name; reserved: {', '.join(sorted(RESULT_COLUMNS))}",
            )
            return None
        spec = self.config.dimensions.get(name)
        if spec is None:
            self.context.undefined(
                "dimension", "dimensions", name, ("project", "population", "dimensions")
            )
            return None
        path = ("dimensions", name)
        keys = self._select_and_source("dimension", path, spec)
        if keys is None:
            return None
        source = self.sources.get(keys[1], (*path, "data_source"))
        select = self.snippets.expand((*path, "select_expression"), keys[0], SnippetKind.EXPRESSION)
        if source is None or select is None:
            return None
        return Dimension(name, source.name, select, spec.friendly_name, spec.description)

    def _segment(self, name: str) -> Segment | None:
        spec = self.config.segments.get(name)
        if spec is None:
            self.context.undefined(
                "segment", "segments", name, ("project", "population", "segments")
            )
            return None
        path = ("segments", name)
        keys = self._select_and_source("segment", path, spec)
        if keys is None:
            return None
        select_sql, source = keys
        if source not in self.config.segment_data_sources:
            self.context.undefined(
                "segment data source",
                "segment_data_sources",
                source,
                (*path, "data_source"),
                item=False,
            )
            return None
        select = self.snippets.expand(
            (*path, "select_expression"), select_sql, SnippetKind.EXPRESSION
        )
        if select is None or self._segment_data_source(source) is None:
            return None
        return Segment(name, source, select, spec.friendly_name, spec.description)

    def _segment_data_source(self, name: str) -> SegmentDataSource | None:
        if name in self.segment_sources:
            return self.segment_sources[name]
        spec = self.config.segment_data_sources[name]
        path = ("segment_data_sources", name)
        if not spec.from_expression:
            self.context.error(
                path,
                f'segment data source "{name}" has no from_expression',
                "add from_expression, a table name or a (SELECT ...) subquery",
            )
            return None
        from_sql = self.snippets.expand(
            (*path, "from_expression"), spec.from_expression, SnippetKind.FROM
        )
        if from_sql is None:
            return None
        source = SegmentDataSource(
            name,
            from_sql,
            spec.submission_date_column or DEFAULT_SUBMISSION_DATE_COLUMN,
            spec.client_id_column or DEFAULT_CLIENT_ID_COLUMN,
            max(0, spec.window_end - spec.window_start),
        )
        self.segment_sources[name] = source
        return source


def _statistics(spec: MetricSpec) -> tuple[Statistic, ...]:
    if spec.statistics is None:
        return ()
    return tuple(
        Statistic(name, getattr(spec.statistics, name).model_dump())
        for name in spec.statistics.names()
    )


def _monitor(spec: MonitorSpec | None) -> Monitor:
    """``[metrics.X.monitor]`` resolved (the technique's arguments are checked by detection,
    which owns the techniques)."""
    if spec is None:
        return Monitor()
    return Monitor(
        technique=spec.change_detection_technique or "default",
        args=dict(spec.change_detection_args or {}),
        lower_is_better=spec.lower_is_better,
        platforms=tuple(spec.platforms) if spec.platforms else None,
        alert=spec.alert,
        emails=tuple(spec.bugzilla_notification_emails or ()),
    )
