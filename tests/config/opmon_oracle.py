"""Resolve a project the way OpMon does, with Mozilla's own parser, and opwatch's the same way.

OpMon's command line (``opmon run``) loads metric-hub twice, the repository root (``definitions/``)
and its ``opmon/`` folder (projects, ``defaults/``, ``opmon/definitions/``), merges the second
collection into the first, and for each project starts from the platform's definitions, merges
the platform's defaults (and the rollout defaults for rollouts) unless the project sets
``skip_default_metrics``, then the project. :func:`opmon_resolution` does exactly that with
``mozilla-metric-config-parser``, the library OpMon uses; :func:`opwatch_resolution` reads the
same facts off an opwatch :class:`~opwatch.config.Project`, so the two can be compared.

Known OpMon slips opwatch deliberately does not copy are factored out here, each said where:
a wildcard key renames the metric it matches (so metrics are keyed by the name the project
lists, not by the resolved metric's name), and Jinja drops a snippet's final newline (so SQL is
compared with runs of whitespace collapsed).
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from opwatch.config import Project

with warnings.catch_warnings():
    # its dependency mozilla-nimbus-schemas uses pydantic APIs deprecated since 2.12
    warnings.simplefilter("ignore", DeprecationWarning)
    from metric_config_parser.config import ConfigCollection, LocalConfigCollection
    from metric_config_parser.experiment import Experiment
    from metric_config_parser.monitoring import MonitoringSpec

OPMON_DEFAULT_PLATFORM = "firefox_desktop"
OPMON_DEFAULT_PERCENTILES = (50, 90, 99)
"""OpMon's ``Percentile`` statistic when a config names no percentiles."""
OPMON_APP_IDS = {
    ("fenix", "release"): "org.mozilla.firefox",
    ("fenix", "beta"): "org.mozilla.firefox_beta",
    ("fenix", "nightly"): "org.mozilla.fenix",
    ("firefox_ios", "release"): "org.mozilla.ios.Firefox",
    ("firefox_ios", "beta"): "org.mozilla.ios.FirefoxBeta",
    ("firefox_ios", "nightly"): "org.mozilla.ios.Fennec",
    ("focus_android", "release"): "org.mozilla.focus",
    ("focus_android", "beta"): "org.mozilla.focus.beta",
    ("focus_android", "nightly"): "org.mozilla.focus.nightly",
    ("focus_ios", "release"): "org.mozilla.ios.Focus",
    ("klar_android", "release"): "org.mozilla.klar",
    ("klar_ios", "release"): "org.mozilla.ios.Klar",
    ("monitor_cirrus", "release"): "monitor.cirrus",
}
"""OpMon's ``platform_config.toml``: the application whose dataset fills ``{dataset}``."""


@dataclass(frozen=True)
class Resolution:
    """What a project runs with: the facts the conformance suite compares."""

    xaxis: str
    population: tuple[str, str, str]
    """Population data source: name, FROM expression, submission date column."""
    dimensions: dict[str, tuple[str, str, str, str]]
    """Dimension → (its data source as above, select expression)."""
    metrics: dict[str, tuple[str, str, str, str, str]]
    """Metric → (its data source as above, select expression, type)."""
    statistics: frozenset[tuple[str, str, tuple[float, ...] | None]]
    """(metric, statistic, percentiles of a percentile statistic)."""


def sql(text: str) -> str:
    """SQL with runs of whitespace collapsed (Jinja drops a final newline; OpMon renders every
    select expression through it)."""
    return " ".join(text.split())


@cache
def opmon_collection(root: Path) -> ConfigCollection:
    """metric-hub at ``root`` as OpMon loads it: the root, with ``opmon/`` merged over it."""
    collection = LocalConfigCollection.from_local_path(str(root))
    collection.merge(LocalConfigCollection.from_local_path(str(root / "opmon")))
    return collection


def opmon_experiment(slug: str, app_name: str, *, is_rollout: bool) -> Experiment:
    """A minimal live Experimenter v6 experiment, as OpMon receives it."""
    return Experiment(
        experimenter_slug=None,
        normandy_slug=slug,
        type="v6",
        status="Live",
        branches=[],
        start_date=None,
        end_date=None,
        proposed_enrollment=None,
        reference_branch=None,
        is_high_population=False,
        app_name=app_name,
        is_rollout=is_rollout,
    )


def opmon_resolution(root: Path, slug: str, experiment: Experiment | None = None) -> Resolution:
    """Project ``slug`` of the metric-hub tree at ``root``, resolved as ``opmon run`` does."""
    configs = opmon_collection(root)
    config = next(c for c in configs.configs if c.slug == slug)
    project_spec = copy.deepcopy(config.spec)
    assert isinstance(project_spec, MonitoringSpec)
    platform = (
        project_spec.project.platform
        or (experiment.app_name if experiment else None)
        or OPMON_DEFAULT_PLATFORM
    )
    spec = MonitoringSpec.from_definition_spec(
        copy.deepcopy(configs.get_platform_definitions(platform))
    )
    if not project_spec.project.skip_default_metrics:
        layers = [platform, *(["rollout"] if experiment and experiment.is_rollout else [])]
        for name in layers:
            defaults = configs.get_platform_defaults(name)
            if defaults is not None:
                spec.merge(copy.deepcopy(defaults))
    spec.merge(project_spec)
    project = spec.project.resolve(spec, experiment, configs)
    channel = project.population.channel.value if project.population.channel else None
    app_id = OPMON_APP_IDS.get((project.app_name, channel or ""))
    dataset = re.sub(r"[^a-zA-Z0-9]", "_", app_id).lower() if app_id else None

    def source(data_source: Any) -> tuple[str, str, str]:
        from_sql = sql(data_source.from_expr_for(dataset))
        return data_source.name, from_sql, data_source.submission_date_column

    metrics: dict[str, tuple[str, str, str, str, str]] = {}
    statistics = set()
    for name in dict.fromkeys(reference.name for reference in spec.project.metrics):
        # keyed by the listed name: a wildcard renames the metric it matched to the pattern
        for summary in spec.metrics.definitions[name].resolve(spec, project, configs):
            metric = summary.metric
            metrics[name] = (
                *source(metric.data_source),
                sql(metric.select_expression),
                metric.type,
            )
            statistics.add(_statistic(name, summary.statistic.name, summary.statistic.params))
    dimensions = {}
    for name in dict.fromkeys(reference.name for reference in spec.project.population.dimensions):
        dimension = spec.dimensions.definitions[name].resolve(spec, project, configs)
        dimensions[name] = (*source(dimension.data_source), sql(dimension.select_expression))
    assert project.population.data_source is not None
    return Resolution(
        xaxis=project.xaxis.value,
        population=source(project.population.data_source),
        dimensions=dimensions,
        metrics=metrics,
        statistics=frozenset(statistics),
    )


def opwatch_resolution(project: Project) -> Resolution:
    """The same facts, read off a project opwatch resolved."""

    def source(name: str) -> tuple[str, str, str]:
        data_source = project.data_sources[name]
        return name, sql(data_source.from_expression), data_source.submission_date_column

    return Resolution(
        xaxis=project.xaxis,
        population=source(project.population.data_source),
        dimensions={
            name: (*source(d.data_source), sql(d.select_expression))
            for name, d in project.dimensions.items()
        },
        metrics={
            m.name: (*source(m.data_source), sql(m.select_expression), m.type)
            for m in project.metrics
        },
        statistics=frozenset(
            _statistic(m.name, s.name, s.parameters) for m in project.metrics for s in m.statistics
        ),
    )


def differences(expected: Resolution, actual: Resolution) -> list[str]:
    """Readable lines saying where ``actual`` (opwatch) differs from ``expected`` (OpMon)."""
    lines = []
    for field in ("xaxis", "population"):
        if getattr(expected, field) != getattr(actual, field):
            lines.append(
                f"{field}: OpMon {getattr(expected, field)}, opwatch {getattr(actual, field)}"
            )
    for field in ("dimensions", "metrics"):
        want, got = getattr(expected, field), getattr(actual, field)
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                lines.append(f"{field}.{name}: OpMon {want.get(name)}, opwatch {got.get(name)}")
    for item in sorted(expected.statistics - actual.statistics, key=str):
        lines.append(f"statistic only in OpMon: {item}")
    for item in sorted(actual.statistics - expected.statistics, key=str):
        lines.append(f"statistic only in opwatch: {item}")
    return lines


def _statistic(
    metric: str, name: str, parameters: dict[str, Any]
) -> tuple[str, str, tuple[float, ...] | None]:
    if name != "percentile":
        return metric, name, None
    percentiles = parameters.get("percentiles") or OPMON_DEFAULT_PERCENTILES
    return metric, name, tuple(float(p) for p in percentiles)
