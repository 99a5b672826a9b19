"""Who monitors what: each project metric's owners and how they want to hear of changes.

Two sources, Glean's first:

- Glean ``metrics.yaml`` files (``alerts.metrics_yaml``), parsed with glean_parser: a metric's
  ``metadata.monitor`` is ``true`` (every default), ``false`` (not monitored) or a table of
  ``alert``, ``platforms``, ``bugzilla_notification_emails``, ``lower_is_better``,
  ``change_detection_technique`` and ``change_detection_args``. A Glean metric ``category.name``
  is stored in the column ``category_name`` (dots become underscores); it monitors the project
  metrics named so, or whose select expression reads that column.
- A project metric's ``[metrics.X.monitor]`` (the same keys): the metric is monitored, and
  each key it sets wins over the Glean file's.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from glean_parser import parser as glean
from pydantic import ValidationError

from opwatch.config.diagnostics import Diagnostic
from opwatch.config.models import MonitorSpec
from opwatch.config.resolved import Metric, Monitor
from opwatch.errors import ConfigError


@dataclass(frozen=True)
class Owners:
    """How changes of one project metric reach people."""

    alert: bool
    """True: a regression becomes a bug; False: monitor-only, an email."""
    emails: tuple[str, ...]
    platforms: tuple[str, ...] | None
    lower_is_better: bool | None
    declared_in: str
    """Where the settings come from (a metrics.yaml and metric, or the project config)."""


@dataclass(frozen=True)
class GleanMonitor:
    """A Glean metric's ``metadata.monitor``, resolved."""

    identifier: str
    column: str
    file: Path
    spec: MonitorSpec


def read_metrics_yaml(paths: Sequence[Path]) -> list[GleanMonitor]:
    """The monitored metrics of ``paths``; every problem of every file in one ConfigError."""
    if not paths:
        return []
    with warnings.catch_warnings():
        # glean_parser still uses jsonschema's RefResolver, deprecated upstream: not ours to fix
        warnings.filterwarnings("ignore", "jsonschema.RefResolver", DeprecationWarning)
        found = glean.parse_objects(list(paths), {"allow_reserved": True})
        try:
            texts = [str(text) for text in found]
        except (ValueError, TypeError, OSError) as error:  # glean_parser raises some bare
            names = ", ".join(str(path) for path in paths)
            raise ConfigError(
                [Diagnostic(paths[0], "", f"glean_parser failed on {names}: {error}")]
            ) from error
    problems = [_glean_diagnostic(text, paths) for text in texts]
    monitors: list[GleanMonitor] = []
    for category, metrics in found.value.items():
        for name, metric in metrics.items():
            monitor = _monitor(category, name, metric, paths, problems)
            if monitor is not None:
                monitors.append(monitor)
    if problems:
        raise ConfigError(problems)
    return monitors


def owners_of(metric: Metric, monitors: Sequence[GleanMonitor]) -> Owners | None:
    """The owners of project ``metric`` (None: nobody monitors it)."""
    glean_monitor = next((m for m in monitors if _reads(metric, m.column)), None)
    configured = metric.monitor != Monitor()
    if glean_monitor is None and not configured:
        return None
    spec = glean_monitor.spec if glean_monitor else MonitorSpec()
    own = metric.monitor
    where = [f"{glean_monitor.file.name}: {glean_monitor.identifier}"] if glean_monitor else []
    where += [f"[metrics.{metric.name}.monitor]"] if configured else []
    return Owners(
        alert=_first(own.alert, spec.alert, True),
        emails=own.emails or tuple(spec.bugzilla_notification_emails or ()),
        platforms=own.platforms or (tuple(spec.platforms) if spec.platforms else None),
        lower_is_better=_first(own.lower_is_better, spec.lower_is_better, metric.lower_is_better),
        declared_in=" and ".join(where),
    )


def _monitor(
    category: str, name: str, metric: Any, paths: Sequence[Path], problems: list[Diagnostic]
) -> GleanMonitor | None:
    value = (getattr(metric, "metadata", None) or {}).get("monitor")
    if value is None or value is False:
        return None
    file = Path(str((getattr(metric, "defined_in", None) or {}).get("filepath", paths[0])))
    identifier = f"{category}.{name}"
    try:
        spec = MonitorSpec() if value is True else MonitorSpec.model_validate(value)
    except ValidationError as error:
        problems += [
            Diagnostic(
                file,
                f"{identifier}.metadata.monitor",
                f"{'.'.join(str(p) for p in issue['loc']) or 'monitor'}: {issue['msg']}",
                "use true, or a table of alert, platforms, bugzilla_notification_emails, "
                "lower_is_better, change_detection_technique, change_detection_args",
            )
            for issue in error.errors()
        ]
        return None
    return GleanMonitor(identifier, identifier.replace(".", "_"), file, spec)


def _reads(metric: Metric, column: str) -> bool:
    """Whether ``metric`` is named after ``column`` or reads it."""
    if metric.name == column:
        return True
    return re.search(rf"\b{re.escape(column)}\b", metric.select_expression) is not None


def _first(*values: bool | None) -> Any:
    return next((value for value in values if value is not None), None)


def _glean_diagnostic(text: str, paths: Sequence[Path]) -> Diagnostic:
    """A glean_parser message (``<resolved path>[:line]: ...``) as a Diagnostic of its file."""
    file = next((path for path in paths if text.startswith(f"{path.resolve()}:")), paths[0])
    rest = text.removeprefix(f"{file.resolve()}:")
    line = re.match(r"(\d+):", rest)
    message = textwrap.dedent(rest[line.end() :] if line else rest).strip()
    return Diagnostic(file, _metric_of(text), message, line=int(line.group(1)) if line else None)


def _metric_of(text: str) -> str:
    """The ``category.name`` a glean_parser message is about: named in its header, or the two
    outer keys of the YAML it quotes (a schema error); '' when it is about no one metric."""
    header = re.search(r"On instance ([\w.]+)", text)
    if header:
        return header.group(1)
    quoted = re.search(r"```\n(.*?)\n\s*```", text, re.DOTALL)
    try:
        node = yaml.safe_load(textwrap.dedent(quoted.group(1))) if quoted else None
    except yaml.YAMLError:
        return ""
    keys: list[str] = []
    while isinstance(node, dict) and len(node) == 1 and len(keys) < 2:
        key, node = next(iter(node.items()))
        keys.append(str(key))
    return ".".join(keys) if len(keys) == 2 else ""
