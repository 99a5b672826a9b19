"""Check a project's alert rules and metric groups against the metrics it computes."""

from __future__ import annotations

from opwatch.config.checks import CheckContext
from opwatch.config.models import AlertSpec, ProjectSpec
from opwatch.config.resolved import Alert, MetricGroup

REQUIRED_KEYS = {"avg_diff": ("window_size", "max_relative_change")}


def resolve_alerts(context: CheckContext, spec: ProjectSpec, metrics: list[str]) -> list[Alert]:
    """The project's alerts (``project.alerts``, else every ``[alerts]`` table), checked."""
    names = spec.alerts if spec.alerts is not None else list(context.config.alerts)
    context.duplicates(("project", "alerts"))
    alerts = []
    for name in dict.fromkeys(names):
        alert = context.config.alerts.get(name)
        if alert is None:
            context.undefined("alert", "alerts", name, ("project", "alerts"))
        elif _check_alert(context, name, alert, metrics):
            alerts.append(_alert(name, alert, metrics))
    return alerts


def resolve_metric_groups(
    context: CheckContext, spec: ProjectSpec, metrics: list[str]
) -> list[MetricGroup]:
    """The project's metric groups; each member must be one of the project's metrics."""
    groups = []
    for name, group in (spec.metric_groups or {}).items():
        path = ("project", "metric_groups", name, "metrics")
        for metric in group.metrics:
            if metric not in metrics:
                context.not_a_project_metric(path, metric, metrics)
        groups.append(
            MetricGroup(name, tuple(group.metrics), group.friendly_name, group.description)
        )
    return groups


def _check_alert(context: CheckContext, name: str, alert: AlertSpec, metrics: list[str]) -> bool:
    path = ("alerts", name)
    before = len(context.diagnostics)
    for metric in alert.metrics or []:
        if metric not in metrics:
            context.not_a_project_metric((*path, "metrics"), metric, metrics)
    if alert.type == "threshold" and alert.min is None and alert.max is None:
        context.error(path, "a threshold alert needs min, max or both", "add max = [<limit>]")
    for key in REQUIRED_KEYS.get(alert.type, ()):
        if getattr(alert, key) is None:
            context.error(path, f"an {alert.type} alert needs {key}", f"add {key} = ...")
    for key in ("min", "max"):
        limits = getattr(alert, key)
        if limits and alert.parameters and len(limits) not in (1, len(alert.parameters)):
            context.error(
                (*path, key),
                f"{key} has {len(limits)} values for {len(alert.parameters)} parameters",
                "give one value, or one per parameter in the same order",
            )
    return len(context.diagnostics) == before


def _alert(name: str, spec: AlertSpec, metrics: list[str]) -> Alert:
    return Alert(
        name=name,
        type=spec.type,
        metrics=tuple(spec.metrics or metrics),
        statistics=tuple(spec.statistics) if spec.statistics else None,
        parameters=tuple(spec.parameters) if spec.parameters is not None else None,
        min=tuple(spec.min) if spec.min is not None else None,
        max=tuple(spec.max) if spec.max is not None else None,
        window_size=spec.window_size,
        max_relative_change=spec.max_relative_change,
    )
