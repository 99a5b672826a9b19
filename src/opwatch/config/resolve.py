"""Check a merged configuration's references and build the :class:`Project` later stages use.

Every name a project uses (metrics, data sources, dimensions, segments, alerts, functions) must
be defined in one of its layers; every snippet must expand and parse. All problems are reported,
each placed in the file that wrote the offending key, with the files searched for a missing name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opwatch.config.diagnostics import Diagnostic, Severity, did_you_mean
from opwatch.config.merge import LayerStack
from opwatch.config.models import (
    HISTOGRAM_STATISTICS,
    AlertSpec,
    ConfigFile,
    MetricSpec,
    PopulationSpec,
    ProjectSpec,
)
from opwatch.config.resolved import (
    DEFAULT_BUILD_ID_COLUMN,
    DEFAULT_CLIENT_ID_COLUMN,
    DEFAULT_SUBMISSION_DATE_COLUMN,
    Alert,
    DataSource,
    Dimension,
    Metric,
    MetricGroup,
    Population,
    Project,
    Segment,
    Statistic,
)
from opwatch.config.snippets import SnippetChecker
from opwatch.config.sql_check import SnippetKind
from opwatch.config.templating import SnippetRenderer


class ProjectResolver:
    """Resolves one project; :attr:`diagnostics` holds what is wrong with it."""

    def __init__(
        self, slug: str, stack: LayerStack, config: ConfigFile, default_metrics: list[str]
    ) -> None:
        self.slug = slug
        self.stack = stack
        self.config = config
        self.default_metrics = default_metrics
        self.diagnostics: list[Diagnostic] = []
        renderer = SnippetRenderer(config.functions, config.parameters)
        self.snippets = SnippetChecker(stack, renderer, self.diagnostics.append)
        self._data_sources: dict[str, DataSource] = {}

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
        alerts = self._alerts(spec, metric_names)
        groups = self._metric_groups(spec, metric_names)
        if any(d.severity is Severity.ERROR for d in self.diagnostics):
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
            data_sources=dict(self._data_sources),
            dimensions=dimensions,
            segments=segments,
            alerts=tuple(alerts),
            metric_groups=tuple(groups),
            skip=bool(spec.skip),
            is_rollout=bool(spec.is_rollout),
            compact_visualization=bool(spec.compact_visualization),
            generation=1 if self.stack.project.is_legacy else 2,
            source_files=tuple(f.path for f in self.stack.files()),
        )

    # --- helpers shared by the checks ------------------------------------------------------

    def _error(
        self, path: tuple[str | int, ...], message: str, hint: str | None = None, **kwargs: Any
    ) -> None:
        self.diagnostics.append(self.stack.diagnostic(path, message, hint, **kwargs))

    def _undefined(
        self, kind: str, section: str, name: str, used_at: tuple[str, ...], item: bool = True
    ) -> None:
        known = getattr(self.config, section)
        looked = ", ".join(str(f.path) for f in self.stack.files())
        suggestion = did_you_mean(name, known)
        hint = f"{suggestion + ' ' if suggestion else ''}looked for [{section}.{name}] in: {looked}"
        message = f'{kind} "{name}" is not defined'
        if item:
            self.diagnostics.append(self.stack.item_diagnostic(used_at, name, message, hint))
        else:
            self._error(used_at, message, hint)

    def _duplicates(self, path: tuple[str, ...], names: Iterable[str]) -> None:
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.diagnostics.append(
                    self.stack.item_diagnostic(
                        path,
                        name,
                        f'duplicate definition: "{name}" is listed more than once',
                        "remove the repeated entry",
                    )
                )
            seen.add(name)

    # --- project, metrics and statistics ---------------------------------------------------

    def _check_dates(self, spec: ProjectSpec) -> None:
        if spec.start_date and spec.end_date and spec.end_date < spec.start_date:
            self._error(
                ("project", "end_date"),
                f"end_date {spec.end_date} is before start_date {spec.start_date}",
                "swap the dates, or set end_date on or after start_date",
            )

    def _metric_names(self, spec: ProjectSpec) -> list[str]:
        listed = spec.metrics or []
        self._duplicates(("project", "metrics"), listed)
        defaults = [] if spec.skip_default_metrics else self.default_metrics
        return list(dict.fromkeys([*defaults, *listed]))

    def _metric(self, name: str) -> Metric | None:
        spec = self.config.metrics.get(name)
        if spec is None:
            self._undefined("metric", "metrics", name, ("project", "metrics"))
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
            self._error(path, f'metric "{name}" has no select_expression', hint)
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
        )

    def _metric_data_source(self, name: str, spec: MetricSpec) -> DataSource | None:
        if not spec.data_source:
            self._error(
                ("metrics", name),
                f'metric "{name}" has no data_source',
                'add data_source = "<name of a [data_sources] table>"',
            )
            return None
        return self._data_source(spec.data_source, ("metrics", name, "data_source"))

    def _check_statistics(self, metrics: list[Metric], project_metrics: list[str]) -> None:
        for metric in metrics:
            path = ("metrics", metric.name, "statistics")
            if not metric.statistics:
                self._error(
                    ("metrics", metric.name),
                    f'metric "{metric.name}" has no statistics',
                    f"add [metrics.{metric.name}.statistics] with, for example, mean = {{}}",
                )
            for statistic in metric.statistics:
                if metric.type == "histogram" and statistic.name not in HISTOGRAM_STATISTICS:
                    self._error(
                        (*path, statistic.name),
                        f'statistic "{statistic.name}" is not defined for histograms',
                        f"use one of: {', '.join(HISTOGRAM_STATISTICS)}",
                    )
                denominator = statistic.parameters.get("denominator_metric")
                if denominator is not None and denominator not in project_metrics:
                    where = (*path, statistic.name, "denominator_metric")
                    if denominator in self.config.metrics:
                        self._error(
                            where,
                            f'denominator metric "{denominator}" is not one of '
                            "the project's metrics",
                            f'add "{denominator}" to project.metrics',
                        )
                    else:
                        self._undefined("metric", "metrics", denominator, where, item=False)

    # --- data sources, population, dimensions, segments -----------------------------------

    def _data_source(self, name: str, used_at: tuple[str, ...]) -> DataSource | None:
        if name in self._data_sources:
            return self._data_sources[name]
        spec = self.config.data_sources.get(name)
        if spec is None:
            self._undefined("data source", "data_sources", name, used_at, item=False)
            return None
        path = ("data_sources", name)
        if not spec.from_expression:
            self._error(
                path,
                f'data source "{name}" has no from_expression',
                "add from_expression, a table name or a (SELECT ...) subquery",
            )
            return None
        expand = self.snippets.expand
        from_sql = expand(
            (*path, "from_expression"), spec.from_expression, SnippetKind.FROM, spec.default_dataset
        )
        columns = {
            key: expand((*path, key), value, SnippetKind.EXPRESSION)
            for key, value in (
                ("submission_date_column", spec.submission_date_column),
                ("client_id_column", spec.client_id_column),
                ("build_id_column", spec.build_id_column),
            )
            if value
        }
        for join_name, join in (spec.joins or {}).items():
            if join.on_expression:
                expand(
                    (*path, "joins", join_name, "on_expression"),
                    join.on_expression,
                    SnippetKind.EXPRESSION,
                )
        if from_sql is None or None in columns.values():
            return None
        client_id = columns.get("client_id_column", DEFAULT_CLIENT_ID_COLUMN)
        source = DataSource(
            name=name,
            from_expression=from_sql,
            submission_date_column=columns.get("submission_date_column")
            or DEFAULT_SUBMISSION_DATE_COLUMN,
            client_id_column=None if client_id == "NULL" else client_id,
            build_id_column=columns.get("build_id_column") or DEFAULT_BUILD_ID_COLUMN,
            experiments_column_type=spec.experiments_column_type,
            friendly_name=spec.friendly_name,
            description=spec.description,
        )
        self._data_sources[name] = source
        return source

    def _population(self, spec: PopulationSpec) -> Population:
        path = ("project", "population")
        if not spec.data_source:
            self._error(
                path,
                "the population has no data_source",
                'add data_source = "<data source>" to [project.population]',
            )
        else:
            self._data_source(spec.data_source, (*path, "data_source"))
        self._duplicates((*path, "branches"), spec.branches or [])
        self._duplicates((*path, "dimensions"), spec.dimensions or [])
        if spec.branches and spec.boolean_pref:
            self.diagnostics.append(
                self.stack.diagnostic(
                    (*path, "boolean_pref"),
                    "boolean_pref is ignored because branches are given",
                    "remove one of the two",
                    severity=Severity.WARNING,
                )
            )
        dimensions = tuple(spec.dimensions or ())
        if spec.group_by_dimension and spec.group_by_dimension not in dimensions:
            self._error(
                (*path, "group_by_dimension"),
                f'group_by_dimension "{spec.group_by_dimension}" is not one of the '
                "population's dimensions",
                f"use one of: {', '.join(dimensions) or '-'}; "
                "or add it to project.population.dimensions",
            )
        return Population(
            data_source=spec.data_source or "",
            branches=tuple(spec.branches or ()),
            boolean_pref=spec.boolean_pref,
            channel=spec.channel,
            monitor_entire_population=bool(spec.monitor_entire_population),
            dimensions=dimensions,
            group_by_dimension=spec.group_by_dimension,
            segments=tuple(spec.segments or ()),
        )

    def _dimension(self, name: str) -> Dimension | None:
        spec = self.config.dimensions.get(name)
        if spec is None:
            self._undefined(
                "dimension", "dimensions", name, ("project", "population", "dimensions")
            )
            return None
        path = ("dimensions", name)
        if not spec.select_expression or not spec.data_source:
            missing = "select_expression" if not spec.select_expression else "data_source"
            self._error(path, f'dimension "{name}" has no {missing}', f"add {missing}")
            return None
        source = self._data_source(spec.data_source, (*path, "data_source"))
        select = self.snippets.expand(
            (*path, "select_expression"), spec.select_expression, SnippetKind.EXPRESSION
        )
        if source is None or select is None:
            return None
        return Dimension(name, source.name, select, spec.friendly_name, spec.description)

    def _segment(self, name: str) -> Segment | None:
        spec = self.config.segments.get(name)
        if spec is None:
            self._undefined("segment", "segments", name, ("project", "population", "segments"))
            return None
        path = ("segments", name)
        if not spec.select_expression or not spec.data_source:
            missing = "select_expression" if not spec.select_expression else "data_source"
            self._error(path, f'segment "{name}" has no {missing}', f"add {missing}")
            return None
        if spec.data_source not in self.config.segment_data_sources:
            self._undefined(
                "segment data source",
                "segment_data_sources",
                spec.data_source,
                (*path, "data_source"),
                item=False,
            )
            return None
        select = self.snippets.expand(
            (*path, "select_expression"), spec.select_expression, SnippetKind.EXPRESSION
        )
        if select is None:
            return None
        return Segment(name, spec.data_source, select, spec.friendly_name, spec.description)

    # --- alerts and metric groups ----------------------------------------------------------

    def _alerts(self, spec: ProjectSpec, metric_names: list[str]) -> list[Alert]:
        names = spec.alerts if spec.alerts is not None else list(self.config.alerts)
        self._duplicates(("project", "alerts"), names)
        alerts = []
        for name in dict.fromkeys(names):
            alert = self.config.alerts.get(name)
            if alert is None:
                self._undefined("alert", "alerts", name, ("project", "alerts"))
            elif self._check_alert(name, alert, metric_names):
                alerts.append(_alert(name, alert, metric_names))
        return alerts

    def _check_alert(self, name: str, alert: AlertSpec, metric_names: list[str]) -> bool:
        path = ("alerts", name)
        before = len(self.diagnostics)
        for metric in alert.metrics or []:
            if metric not in metric_names:
                self.diagnostics.append(
                    self.stack.item_diagnostic(
                        (*path, "metrics"),
                        metric,
                        f'metric "{metric}" is not one of the project\'s metrics',
                        did_you_mean(metric, metric_names) or "add it to project.metrics",
                    )
                )
        if alert.type == "threshold" and alert.min is None and alert.max is None:
            self._error(path, "a threshold alert needs min, max or both", "add max = [<limit>]")
        if alert.type == "avg_diff":
            for key in ("window_size", "max_relative_change"):
                if getattr(alert, key) is None:
                    self._error(path, f"an avg_diff alert needs {key}", f"add {key} = ...")
        for key in ("min", "max"):
            limits = getattr(alert, key)
            if limits and alert.parameters and len(limits) not in (1, len(alert.parameters)):
                self._error(
                    (*path, key),
                    f"{key} has {len(limits)} values for {len(alert.parameters)} parameters",
                    "give one value, or one per parameter in the same order",
                )
        return len(self.diagnostics) == before

    def _metric_groups(self, spec: ProjectSpec, metric_names: list[str]) -> list[MetricGroup]:
        groups = []
        for name, group in (spec.metric_groups or {}).items():
            path = ("project", "metric_groups", name, "metrics")
            for metric in group.metrics:
                if metric not in metric_names:
                    self.diagnostics.append(
                        self.stack.item_diagnostic(
                            path,
                            metric,
                            f'metric "{metric}" is not one of the project\'s metrics',
                            did_you_mean(metric, metric_names) or "add it to project.metrics",
                        )
                    )
            groups.append(
                MetricGroup(name, tuple(group.metrics), group.friendly_name, group.description)
            )
        return groups


def _statistics(spec: MetricSpec) -> tuple[Statistic, ...]:
    if spec.statistics is None:
        return ()
    return tuple(
        Statistic(name, getattr(spec.statistics, name).model_dump())
        for name in spec.statistics.names()
    )


def _alert(name: str, spec: AlertSpec, metric_names: list[str]) -> Alert:
    def floats(values: list[int | float] | None) -> tuple[float, ...] | None:
        return tuple(values) if values is not None else None

    return Alert(
        name=name,
        type=spec.type,
        metrics=tuple(spec.metrics or metric_names),
        statistics=tuple(spec.statistics) if spec.statistics else None,
        parameters=floats(spec.parameters),
        min=floats(spec.min),
        max=floats(spec.max),
        window_size=spec.window_size,
        max_relative_change=spec.max_relative_change,
    )
