"""What the JSON API returns, as pydantic models (they are the OpenAPI spec's schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from opwatch.results import ProjectDetail, ProjectSummary


class Project(BaseModel):
    """A project with results."""

    slug: str
    name: str
    platform: str
    xaxis: str = Field(description="submission_date or build_id")
    branches: list[str]
    dimensions: list[str]
    first_day: date | None = Field(description="First submission date with statistics")
    last_day: date | None = Field(description="Last submission date with statistics")
    last_run: datetime | None = Field(description="When its last successful day finished")
    open_detections: int = Field(description="Shifts found by the last opwatch detect")

    @classmethod
    def of(cls, summary: ProjectSummary) -> Project:
        return cls(**summary.__dict__)


class Dimension(BaseModel):
    """A dimension and its values, the most common first (the default)."""

    name: str
    values: list[str | None]
    default: str | None


class ProjectDetails(Project):
    """A project with its metrics and the values its statistics can be filtered by."""

    metrics: list[dict[str, Any]]
    metric_groups: list[dict[str, Any]]
    dimension_values: list[Dimension]
    reference_branch: str | None = Field(
        description="The branch the differences are to (null: the results have none)"
    )

    @classmethod
    def of_detail(cls, detail: ProjectDetail) -> ProjectDetails:
        dimensions = [
            Dimension(name=d.name, values=list(d.values), default=d.default)
            for d in detail.dimensions
        ]
        return cls(
            **detail.summary.__dict__,
            metrics=list(detail.metrics),
            metric_groups=list(detail.metric_groups),
            dimension_values=dimensions,
            reference_branch=detail.reference_branch,
        )


class StatisticRows(BaseModel):
    """Rows of ``<slug>_statistics``: x-axis value, series key, dimensions, point, interval."""

    project: str
    filters: dict[str, str]
    rows: list[dict[str, Any]]


class DetectionRows(BaseModel):
    """Rows of ``<slug>_detections`` (docs/detection.md lists the columns)."""

    project: str
    rows: list[dict[str, Any]]


class Problem(BaseModel):
    """An error: what is wrong and how to fix it."""

    detail: str
