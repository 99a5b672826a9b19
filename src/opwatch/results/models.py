"""What the results reader answers with: projects, their dimensions, statistics filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from opwatch.errors import OpwatchError

STATISTIC_COLUMNS = ("metric", "statistic", "parameter", "branch", "comparison")
"""Columns of ``<slug>_statistics`` a filter may name, besides the project's dimensions."""


class InvalidQueryError(OpwatchError):
    """A filter names something the project does not have; the message says what it has."""


@dataclass(frozen=True)
class ProjectSummary:
    """A project as the home page lists it."""

    slug: str
    name: str
    platform: str
    xaxis: str
    branches: tuple[str, ...]
    dimensions: tuple[str, ...]
    first_day: date | None
    last_day: date | None
    last_run: datetime | None
    """When its last successful day finished."""
    open_detections: int
    """Shifts found by the last ``opwatch detect`` (spikes aside)."""


@dataclass(frozen=True)
class DimensionValues:
    """A dimension's values in the statistics, the most common first."""

    name: str
    values: tuple[str | None, ...]

    @property
    def default(self) -> str | None:
        """The most common value (what a dashboard shows first)."""
        return self.values[0] if self.values else None


@dataclass(frozen=True)
class ProjectDetail:
    """A project with what its dashboard needs: metrics and the values to filter by."""

    summary: ProjectSummary
    metrics: tuple[dict[str, Any], ...]
    metric_groups: tuple[dict[str, Any], ...]
    dimensions: tuple[DimensionValues, ...]
    reference_branch: str | None = None
    """The branch the others' differences are to (None: no comparisons in the results)."""


@dataclass(frozen=True)
class StatisticsFilter:
    """Which statistic rows to read: column → value (None: any), comparisons or not."""

    equals: dict[str, str] = field(default_factory=dict)
    comparisons: bool = False
