"""Detections and rule hits → alerts: which changes concern a monitored metric, who gets
them (the route), and which alerts belong together (the group: one bug per push range).

Only shifts become alerts (spikes are one or two days and come back), and of those only
regressions, or any change when the metric does not say which direction is better. Changes
older than ``lookback_days`` before the project's latest data are history, not news: the first
run on an old installation does not file bugs for last year. A change found again one or two
x values off (detection sees more data each day) is the same change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from opwatch.alerts.model import UNROUTED, Alert, Route, series_identity
from opwatch.alerts.monitoring import GleanMonitor, Owners, owners_of
from opwatch.alerts.revisions import RevisionResolver, build_time, day_window
from opwatch.alerts.rules import RuleHit, evaluate
from opwatch.alerts.store import AlertStore
from opwatch.config.resolved import Project
from opwatch.errors import NotifyError, ProjectNotFoundError
from opwatch.pipeline.database import now
from opwatch.pipeline.platforms import platform_dimension, platform_name
from opwatch.results import ResultsReader, StatisticsFilter

log = logging.getLogger(__name__)
NEAR = 2
"""x values (days) either side within which a change found again is the same change."""


@dataclass
class Ingest:
    """Turns a project's detections and ``[alerts]`` rule hits into stored alerts."""

    reader: ResultsReader
    store: AlertStore
    monitors: Sequence[GleanMonitor] = ()
    resolver: RevisionResolver | None = None
    lookback_days: int = 14
    _ranges: dict[tuple[datetime, datetime], dict[str, Any] | None] = field(default_factory=dict)

    def run(self, project: Project, day: date) -> list[Alert]:
        """Store the project's new alerts; the ones added."""
        owners = {metric.name: owners_of(metric, self.monitors) for metric in project.metrics}
        try:
            detail = self.reader.project(project.slug)
        except ProjectNotFoundError:
            log.info("%s: no results yet, no alerts", project.slug)
            return []
        oldest = _oldest(detail.summary.last_day, self.lookback_days)
        drafts = [
            *self._from_detections(project, owners, day),
            *self._from_rules(project, owners, day, detail.reference_branch),
        ]
        recent = [a for a in drafts if date_of(a.position) >= oldest]
        fresh = [self._with_revisions(a) for a in _once(recent) if not self._seen(a)]
        added = self.store.add(fresh)
        for alert in added:
            if alert.status == UNROUTED:
                log.info("%s: alert on %s: %s", alert.project, alert.series, alert.note)
        return added

    def _from_detections(
        self, project: Project, owners: dict[str, Owners | None], day: date
    ) -> Iterator[Alert]:
        platform = platform_dimension(project)
        for row in self.reader.detections(project.slug):
            found = owners.get(row["metric"])
            if found is None or row["kind"] != "shift":
                continue
            if _improvement(row, found) or not _on_platform(row, platform, found):
                continue
            yield self._alert(project, row, found, day, _detection_fields(row))

    def _from_rules(
        self,
        project: Project,
        owners: dict[str, Owners | None],
        day: date,
        reference: str | None,
    ) -> Iterator[Alert]:
        dimensions = project.population.dimensions
        for rule in project.alerts:
            rows = []
            for metric in rule.metrics:
                rows += self.reader.statistics(project.slug, StatisticsFilter({"metric": metric}))
            for hit in evaluate(rule, rows, dimensions, reference):
                yield self._alert(project, hit.row, owners.get(hit.row["metric"]), day, _hit(hit))

    def _alert(
        self,
        project: Project,
        row: dict[str, Any],
        owners: Owners | None,
        day: date,
        change: dict[str, Any],
    ) -> Alert:
        route, recipients, note = _route(row["metric"], owners)
        position = str(row["xaxis_value"])
        stamp = now()
        return Alert(
            project=project.slug,
            metric=row["metric"],
            statistic=row["statistic"],
            parameter=row["parameter"],
            branch=row["branch"],
            dimensions={d: _text(row.get(d)) for d in project.population.dimensions},
            xaxis=project.xaxis,
            position=position,
            route=route,
            recipients=recipients,
            group_key=f"{project.slug}|{position}",
            status=UNROUTED if route == "none" else "new",
            note=note,
            day=day,
            created_at=stamp,
            updated_at=stamp,
            **change,
        )

    def _with_revisions(self, alert: Alert) -> Alert:
        """``alert`` with its push range, grouped by it, when the pushlog can tell (asked
        only for alerts about to be stored)."""
        found = self._revisions(alert.xaxis, alert.previous_position, alert.position)
        if found is None:
            return alert
        group_key = f"{alert.project}|{found['to_revision']}"
        return replace(alert, revision_range=found, group_key=group_key)

    def _seen(self, alert: Alert) -> bool:
        """Whether the store has this change, here or a day or two off."""
        return self.store.near(alert, _positions_near(alert))

    def _revisions(self, xaxis: str, previous: str | None, position: str) -> dict[str, Any] | None:
        """The push range between the last good and the first bad point, when resolvable."""
        if self.resolver is None:
            return None
        try:
            window = _window(xaxis, previous, position)
        except ValueError as error:
            log.warning("no revision range for %s: %s", position, error)
            return None
        if window not in self._ranges:
            try:
                found = self.resolver.resolve(*window)
            except NotifyError as error:
                log.warning("no revision range for %s: %s", position, error)
                return None
            self._ranges[window] = asdict(found) if found else None
        return self._ranges[window]


def _route(metric: str, owners: Owners | None) -> tuple[Route, tuple[str, ...], str]:
    """Where an alert of ``metric`` goes, to whom, and why (the note)."""
    if owners is None:
        return "none", (), f"{metric} has no monitor settings: Alerts page and webhooks only"
    if owners.alert and owners.emails:
        return "bug", owners.emails, f"alert: true, from {owners.declared_in}"
    if owners.alert:
        note = f"alert: true but no bugzilla_notification_emails in {owners.declared_in}"
        return "none", (), note + ": no bug filed"
    if owners.emails:
        return "email", owners.emails, f"monitor-only (alert: false), from {owners.declared_in}"
    note = f"monitor-only without bugzilla_notification_emails in {owners.declared_in}"
    return "none", (), note + ": nobody to email"


def _detection_fields(row: dict[str, Any]) -> dict[str, Any]:
    what = row["classification"] if row["classification"] != "change" else "change"
    return {
        "previous_position": row["previous_xaxis_value"],
        "source": f"detection:{row['technique']}",
        "direction": row["direction"],
        "before": row["before"],
        "after": row["after"],
        "relative_change": row["relative_change"],
        "p_value": row["p_value"],
        "message": f"{what} ({row['feature']}), score {row['score']:.1f}",
    }


def _hit(hit: RuleHit) -> dict[str, Any]:
    before, after = hit.before, hit.after
    relative = (after - before) / before if before and after is not None else None
    direction = None if relative is None else ("up" if relative > 0 else "down")
    return {
        "previous_position": hit.previous_position,
        "source": f"rule:{hit.rule.name}",
        "direction": direction,
        "before": before,
        "after": after,
        "relative_change": relative,
        "p_value": None,
        "message": hit.message,
    }


def _improvement(row: dict[str, Any], owners: Owners) -> bool:
    """Whether a detection is an improvement: as detection classified it, or, when detection
    did not know the better direction, as a metrics.yaml's ``lower_is_better`` says."""
    if row["classification"] != "change" or owners.lower_is_better is None:
        return bool(row["classification"] == "improvement")
    return bool((row["direction"] == "down") == owners.lower_is_better)


def _on_platform(row: dict[str, Any], dimension: str | None, owners: Owners) -> bool:
    if dimension is None or not owners.platforms or "All" in owners.platforms:
        return True
    return platform_name(row.get(dimension)) in owners.platforms


def _window(xaxis: str, previous: str | None, position: str) -> tuple[datetime, datetime]:
    if xaxis == "build_id":
        end = build_time(position)
        return (build_time(previous) if previous else end - timedelta(days=1)), end
    first = date.fromisoformat(previous or position)
    return day_window(first)[0], day_window(date.fromisoformat(position))[1]


def _once(alerts: Sequence[Alert]) -> list[Alert]:
    """``alerts`` without those a kept one of the same series and direction is near."""
    kept: list[Alert] = []
    for alert in alerts:
        near = set(_positions_near(alert))
        same = (series_identity(alert), alert.direction)
        if not any((series_identity(k), k.direction) == same and k.position in near for k in kept):
            kept.append(alert)
    return kept


def _positions_near(alert: Alert) -> list[str]:
    if alert.xaxis == "build_id":
        return [alert.position]
    day = date.fromisoformat(alert.position)
    return [(day + timedelta(days=k)).isoformat() for k in range(-NEAR, NEAR + 1)]


def date_of(position: str) -> date:
    """The day of a date or build id (``YYYYMMDD...``)."""
    if "-" in position:
        return date.fromisoformat(position[:10])
    return date(int(position[:4]), int(position[4:6]), int(position[6:8]))


def _oldest(last_day: date | None, lookback_days: int) -> date:
    return (last_day or date.today()) - timedelta(days=lookback_days)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
