"""Detections as the rows of ``<slug>_detections`` (an Arrow table with a fixed schema, so a
project without any change still gets a table with every column)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from opwatch.config.resolved import Project
    from opwatch.detect import Change
    from opwatch.pipeline.detection import StatisticSeries

KEY_COLUMNS = ("metric", "statistic", "parameter", "branch")
CHANGE_COLUMNS: dict[str, pa.DataType] = {
    "kind": pa.string(),
    "direction": pa.string(),
    "classification": pa.string(),
    "feature": pa.string(),
    "magnitude": pa.float64(),
    "relative_change": pa.float64(),
    "score": pa.float64(),
    "p_value": pa.float64(),
    "before": pa.float64(),
    "after": pa.float64(),
    "technique": pa.string(),
}


def detections_schema(project: Project) -> pa.Schema:
    """x-axis value of the change (and of the point before), series key, the change."""
    fields = [("xaxis_value", pa.string()), ("previous_xaxis_value", pa.string())]
    fields += [(name, pa.string()) for name in KEY_COLUMNS]
    fields += [(name, pa.string()) for name in project.population.dimensions]
    fields += list(CHANGE_COLUMNS.items())
    return pa.schema(fields)


def detection_rows(project: Project, found: list[tuple[StatisticSeries, Change]]) -> pa.Table:
    """One row per change, in series then position order."""
    schema = detections_schema(project)
    rows = [_row(project, series, change) for series, change in found]
    columns = {name: [row[name] for row in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def _row(project: Project, series: StatisticSeries, change: Change) -> dict[str, Any]:
    key = series.key
    row: dict[str, Any] = {
        "xaxis_value": series.xs[change.index],
        "previous_xaxis_value": series.xs[change.index - 1] if change.index > 0 else None,
        "metric": key.metric,
        "statistic": key.statistic,
        "parameter": key.parameter,
        "branch": key.branch,
    }
    for name, value in zip(project.population.dimensions, key.dimensions, strict=True):
        row[name] = None if value is None else str(value)
    for name in CHANGE_COLUMNS:
        value = change.relative_change if name == "relative_change" else getattr(change, name)
        row[name] = _finite(value)
    return row


def _finite(value: Any) -> Any:
    """NaN → None (NULL), other values as they are."""
    return None if isinstance(value, float) and value != value else value
