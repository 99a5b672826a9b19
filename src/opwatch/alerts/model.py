"""What an alert is: a change on one series of a monitored metric, routed to its owners."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Route = Literal["bug", "email", "none"]
"""Where an alert goes: a bug (``alert: true`` with owners), an email (``alert: false``), or
nowhere but the Alerts page and webhooks (no owner to tell; the note says why)."""

NEW, FILED, EMAILED, UNROUTED = "new", "filed", "emailed", "unrouted"
RESOLUTIONS = {
    "FIXED": "fixed",
    "WONTFIX": "wontfix",
    "INVALID": "invalid",
    "WORKSFORME": "worksforme",
    "DUPLICATE": "duplicate",
}
"""Bugzilla resolutions → alert statuses (any other resolution: ``resolved``)."""
OPEN_STATUSES = (NEW, FILED, EMAILED, UNROUTED)


def status_of_resolution(resolution: str) -> str:
    """The alert status a bug's resolution gives (an open bug: ``filed``)."""
    if not resolution:
        return FILED
    return RESOLUTIONS.get(resolution.upper(), "resolved")


@dataclass(frozen=True)
class Alert:
    """One alert, as stored (``id`` is None until it is)."""

    project: str
    metric: str
    statistic: str
    parameter: str | None
    branch: str | None
    dimensions: dict[str, str | None]
    xaxis: str
    position: str
    """The x-axis value (date or build id) where the new level starts."""
    previous_position: str | None
    source: str
    """``detection:<technique>`` or ``rule:<name>`` (an ``[alerts]`` section)."""
    direction: str | None
    before: float | None
    after: float | None
    relative_change: float | None
    p_value: float | None
    message: str
    route: Route
    recipients: tuple[str, ...]
    group_key: str
    """Alerts of a project sharing a push range (or detection point) share a bug."""
    day: date
    created_at: datetime
    updated_at: datetime
    revision_range: dict[str, Any] | None = None
    status: str = NEW
    note: str | None = None
    bug_id: int | None = None
    id: int | None = None
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", alert_key(self))

    @property
    def series(self) -> str:
        """The series in words: ``gc_ms percentile 95, treatment, os=Windows``."""
        parts = [self.metric, self.statistic + (f" {self.parameter}" if self.parameter else "")]
        if self.branch:
            parts.append(self.branch)
        parts += [f"{k}={v}" for k, v in sorted(self.dimensions.items()) if v is not None]
        return ", ".join(parts)

    @property
    def change_text(self) -> str:
        """``12.3 → 18.5 (+50.4 %)``, as much of it as is known."""
        if self.before is None or self.after is None:
            return self.message
        text = f"{self.before:.4g} → {self.after:.4g}"
        if self.relative_change is not None:
            text += f" ({self.relative_change:+.1%})".replace("%", " %")
        return text


def series_identity(alert: Alert) -> tuple[Any, ...]:
    """What makes two alerts be about the same series and the same source."""
    dimensions = tuple(sorted(alert.dimensions.items()))
    return (
        alert.project,
        alert.metric,
        alert.statistic,
        alert.parameter,
        alert.branch,
        dimensions,
        alert.source,
    )


def alert_key(alert: Alert) -> str:
    """A stable digest of the series, source, direction and position: reading the same
    detection again gives the same key, and the store keeps one row per key."""
    identity = [*series_identity(alert), alert.direction, alert.position]
    text = json.dumps(identity, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
