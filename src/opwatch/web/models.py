"""What the JSON API returns, as pydantic models (they are the OpenAPI spec's schemas)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from opwatch.alerts.content import dashboard_link
from opwatch.alerts.model import Alert
from opwatch.results import ProjectDetail, ProjectSummary


def _with_offset(moment: datetime) -> datetime:
    """The stores keep naive UTC; the API says so (RFC 3339: ``2026-11-01T04:12:09Z``)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


Timestamp = Annotated[datetime, AfterValidator(_with_offset)]
"""A moment, with its offset."""


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
    last_run: Timestamp | None = Field(description="When its last successful day finished")
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


class AlertRow(BaseModel):
    """An alert (docs/alerts.md), with the links the Alerts page shows."""

    id: int
    project: str
    metric: str
    statistic: str
    parameter: str | None
    branch: str | None
    dimensions: dict[str, str | None]
    xaxis: str = Field(description="submission_date or build_id")
    position: str = Field(description="The x-axis value where the new level starts")
    previous_position: str | None = Field(description="The last x-axis value before it")
    source: str = Field(description="detection:<technique> or rule:<name>")
    direction: str | None
    before: float | None
    after: float | None
    relative_change: float | None
    p_value: float | None
    message: str
    route: str = Field(description="bug, email or none")
    recipients: list[str]
    group_key: str
    revision_range: dict[str, Any] | None = Field(
        description="The pushes to look at: url, pushes, from_revision, to_revision"
    )
    status: str = Field(description="new, filed, emailed, unrouted, or a resolution")
    note: str | None
    bug_id: int | None
    day: date = Field(description="The day of the opwatch alerts run that created it")
    created_at: Timestamp
    updated_at: Timestamp
    series: str = Field(description="The series in words")
    change_text: str = Field(description="before → after (relative change)")
    dashboard_url: str = Field(description="The dashboard showing the series")
    bug_url: str | None = Field(description="The bug, when a bug tracker is configured")

    @classmethod
    def of(cls, alert: Alert, bugzilla: str | None) -> AlertRow:
        """The row of a stored alert; ``bugzilla``: the tracker's base URL, if any."""
        bug_url = None
        if bugzilla and alert.bug_id is not None:
            bug_url = f"{bugzilla.rstrip('/')}/show_bug.cgi?id={alert.bug_id}"
        values = {name: getattr(alert, name) for name in cls.model_fields if hasattr(alert, name)}
        return cls(
            **values | {"id": alert.id, "recipients": list(alert.recipients)},
            dashboard_url=f"{dashboard_link('', alert)}#metric-{alert.metric}",
            bug_url=bug_url,
        )


class AlertRows(BaseModel):
    """Alerts matching the filters, the newest change first."""

    filters: dict[str, str] = Field(description="The filters applied (unset ones left out)")
    limit: int = Field(description="At most this many rows are listed")
    rows: list[AlertRow]


class Problem(BaseModel):
    """An error: what is wrong and how to fix it."""

    detail: str
