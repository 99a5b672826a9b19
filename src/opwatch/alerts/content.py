"""The words of bugs, emails and webhook posts: what changed, by how much, where, since
when, with links to the dashboard and the Alerts page, and the revision range when known."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from opwatch.alerts.model import Alert

MAX_LISTED = 50
"""Alerts listed in full in one bug or email (the rest are counted, and on the Alerts page)."""


def strongest(alerts: Sequence[Alert]) -> Alert:
    """The alert a bug or email leads with: a detected change before a rule hit (a rule
    compares single days, noisier), then the largest relative change."""
    return max(
        alerts,
        key=lambda a: (a.source.startswith("detection"), abs(a.relative_change or 0.0)),
    )


def dashboard_link(base: str, alert: Alert) -> str:
    """The project dashboard showing ``alert``'s series (percentile and dimensions set)."""
    params = {name: value for name, value in alert.dimensions.items() if value is not None}
    if alert.statistic == "percentile" and alert.parameter:
        params = {"percentile": alert.parameter.split(".")[0]} | params
    query = f"?{urlencode(params)}" if params else ""
    return f"{base.rstrip('/')}/projects/{quote(alert.project)}{query}"


def alerts_link(base: str, alert: Alert) -> str:
    """The Alerts page filtered to ``alert``'s project and metric."""
    query = urlencode({"project": alert.project, "metric": alert.metric})
    return f"{base.rstrip('/')}/alerts?{query}"


def summary(alerts: Sequence[Alert]) -> str:
    """A one-line title: ``opwatch-demo: gc_ms regressed +48.2 % (p95, treatment, ...)``."""
    lead = strongest(alerts)
    change = "changed"
    if lead.relative_change is not None:
        change = f"{'rose' if lead.relative_change > 0 else 'fell'} {abs(lead.relative_change):.1%}"
    more = f", and {len(alerts) - 1} more" if len(alerts) > 1 else ""
    where = lead.series.removeprefix(f"{lead.metric}, ")
    text = f"{lead.project}: {lead.metric} {change} since {lead.position} ({where}){more}"
    return text.replace("%", " %")


def body(alerts: Sequence[Alert], dashboard: str, cdf: str | None) -> str:
    """The text of a bug's description or of an email."""
    lead = strongest(alerts)
    lines = [
        f"opwatch found {len(alerts)} change(s) in project {lead.project}, "
        f"the first new value on {lead.position} ({lead.xaxis}).",
        "",
        f"Strongest: {lead.series}: {lead.change_text}",
        f"Dashboard: {dashboard_link(dashboard, lead)}",
        f"Alerts: {alerts_link(dashboard, lead)}",
    ]
    lines += _revisions(lead)
    if cdf:
        lines += ["", f"Distribution of {lead.metric} before and after (cumulative share):", cdf]
    lines += ["", "Every change:"]
    lines += [_line(alert) for alert in alerts[:MAX_LISTED]]
    if len(alerts) > MAX_LISTED:
        lines.append(f"... and {len(alerts) - MAX_LISTED} more on the Alerts page")
    lines += ["", f"Owners' settings: {lead.note or 'see the metric monitor settings'}"]
    return "\n".join(lines)


def linked_comment(alerts: Sequence[Alert], dashboard: str) -> str:
    """A comment on an existing bug listing alerts that joined it."""
    lines = [f"{len(alerts)} more change(s) of the same push range or regression:"]
    lines += [_line(alert) for alert in alerts[:MAX_LISTED]]
    lines.append(f"Alerts: {alerts_link(dashboard, strongest(alerts))}")
    return "\n".join(lines)


def webhook_payload(alert: Alert, dashboard: str) -> dict[str, Any]:
    """One alert as JSON: every stored field, with links."""
    fields = {name: getattr(alert, name) for name in alert.__dataclass_fields__}
    fields["day"], fields["created_at"] = str(alert.day), alert.created_at.isoformat()
    fields["updated_at"] = alert.updated_at.isoformat()
    fields["recipients"] = list(alert.recipients)
    links = {"dashboard": dashboard_link(dashboard, alert), "alerts": alerts_link(dashboard, alert)}
    return {"type": "opwatch.alert", "alert": fields, "links": links}


def _line(alert: Alert) -> str:
    since = f"since {alert.position}"
    return f"- {alert.series}: {alert.change_text} {since} [{alert.source}]"


def _revisions(alert: Alert) -> list[str]:
    found = alert.revision_range
    if not found:
        return []
    pushes = found.get("pushes")
    return [f"Changes to look at ({pushes} pushes): {found.get('url')}"]
