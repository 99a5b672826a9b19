"""Generation 1 (``[probes]``, ``probes = [...]``) read as generation 2 (``[metrics]``).

The 2022 format named metrics "probes" and had no per-metric statistics: every probe was
summarized by percentiles. Translating each file's data up front lets everything downstream
handle one format; :func:`to_file_path` maps a key path back so that diagnostics use the words
written in the file.
"""

from __future__ import annotations

from typing import Any

LEGACY_PERCENTILES = [25, 50, 75, 95]
"""What the same projects use once ported to generation 2 (metric-hub's opmon definitions)."""


def is_legacy(data: dict[str, Any]) -> bool:
    """Whether a file's data is in the generation 1 format."""
    project = data.get("project")
    return "probes" in data or (isinstance(project, dict) and "probes" in project)


def to_current(data: dict[str, Any]) -> dict[str, Any]:
    """The generation 2 equivalent of generation 1 ``data`` (other data is returned as is)."""
    if not is_legacy(data):
        return data
    converted = {key: value for key, value in data.items() if key != "probes"}
    metrics = dict(converted.get("metrics", {}))
    for name, probe in data.get("probes", {}).items():
        metric = dict(probe) if isinstance(probe, dict) else probe
        if isinstance(metric, dict):
            metric.setdefault("statistics", {"percentile": {"percentiles": LEGACY_PERCENTILES}})
        metrics[name] = metric
    converted["metrics"] = metrics
    project = data.get("project")
    if isinstance(project, dict) and "probes" in project:
        converted["project"] = {k: v for k, v in project.items() if k != "probes"}
        converted["project"]["metrics"] = project["probes"]
    return converted


def to_file_path(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Map a generation 2 key path to the generation 1 spelling of the same key."""
    if path[:1] == ("metrics",):
        return ("probes", *path[1:])
    if path[:2] == ("project", "metrics"):
        return ("project", "probes", *path[2:])
    return path
