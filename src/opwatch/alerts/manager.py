"""The daily alert workflow, in Mozilla's order:

1. **sync**: read every filed bug back from the tracker; resolutions (FIXED, WONTFIX, INVALID,
   WORKSFORME, ...) become the statuses of its alerts, a reopened bug makes them filed again;
2. **ingest** the day's detections and rule hits as alerts (:mod:`ingest`);
3. **file** one bug per group of new bug-route alerts (a push range, or a detection point),
   needinfo-ing the first of the metric's ``bugzilla_notification_emails``;
4. **link** new alerts to the bug of their group, or to an open bug of the same metric for a
   change at most ``link_window_days`` away, with a comment;
5. **email** the owners of monitor-only metrics, one email per owner and run;
6. **post** every new alert to the posting notifiers (webhooks; see :mod:`notifiers`).

Every step is idempotent: alerts are unique by key, a group's bug is found again by the
whiteboard tag it was filed with (also when the run crashed between filing and recording it),
and deliveries are recorded per alert and target before and after sending, so that a rerun
sends nothing twice. (A crash in the instant between a send and its record resends that one.)
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from opwatch.alerts import content
from opwatch.alerts.email import EmailSender
from opwatch.alerts.evidence import cdf_before_after, cdf_text
from opwatch.alerts.ingest import Ingest, date_of
from opwatch.alerts.model import EMAILED, FILED, Alert, status_of_resolution
from opwatch.alerts.notifiers import AlertPoster, Notifiers
from opwatch.alerts.store import FAILED, PENDING, SENT, AlertQuery, AlertStore, StoredBug
from opwatch.config.alert_settings import AlertSettings
from opwatch.config.resolved import Project
from opwatch.errors import NotifyError
from opwatch.pipeline.database import now

log = logging.getLogger(__name__)
STEPS = ("synced", "ingested", "filed", "linked", "emailed", "posted")


@dataclass
class AlertManager:
    """Runs the steps for a set of projects, recording the run in the store."""

    store: AlertStore
    ingest: Ingest
    notifiers: Notifiers
    settings: AlertSettings
    progress: Callable[[str], None] = field(default=lambda _step: None)

    def run(self, projects: Sequence[Project], day: date) -> dict[str, int]:
        """The day's run; the count of each step."""
        self.store.start_run(day)
        counts = dict.fromkeys(STEPS, 0)
        try:
            for step, action in self._steps(projects, day):
                self.progress(step)
                counts[step] = action()
                log.info("%s: %d", step, counts[step])
        except Exception as error:
            self.store.finish_run(day, counts, error=str(error))
            raise
        self.store.finish_run(day, counts)
        return counts

    def _steps(self, projects: Sequence[Project], day: date) -> list[tuple[str, Callable[[], int]]]:
        return [
            ("synced", self.sync_resolutions),
            ("ingested", lambda: sum(len(self.ingest.run(p, day)) for p in projects)),
            ("filed", self.file_bugs),
            ("linked", self.link_alerts),
            ("emailed", self.email_owners),
            ("posted", self.post_webhooks),
        ]

    # --- 1. resolutions -------------------------------------------------------------------

    def sync_resolutions(self) -> int:
        """Alerts whose status changed because their bug's did."""
        bugzilla = self.notifiers.bugzilla
        known = self.store.all_bugs()
        if bugzilla is None or not known:
            return 0
        changed = 0
        for bug in bugzilla.get_many([b.id for b in known]):
            self.store.set_bug_state(bug.id, bug.status, bug.resolution)
            status = status_of_resolution(bug.resolution)
            stale = [a.id for a in self._of_bug(bug.id) if a.status != status and a.id]
            self.store.update(stale, status=status)
            changed += len(stale)
            if stale:
                log.info("bug %d is %s: %d alert(s) now %s", bug.id, bug.status, len(stale), status)
        return changed

    def _of_bug(self, bug_id: int) -> list[Alert]:
        return self.store.find(AlertQuery(bug_id=bug_id, limit=100_000))

    # --- 2. new bugs ----------------------------------------------------------------------

    def file_bugs(self) -> int:
        """Bugs filed (or found again) for groups of new alerts that have none to join."""
        waiting = self.store.pending("bug", without_bug=True)
        if not waiting:
            return 0
        if self.notifiers.bugzilla is None:
            log.warning("%d alert(s) wait for a bug: alerts.bugzilla is not set", len(waiting))
            return 0
        filed = 0
        for group_key, alerts in sorted(_grouped(waiting).items(), key=_earliest):
            if self._bug_to_join(group_key, alerts) is None:
                self._file(group_key, alerts)
                filed += 1
        return filed

    def _file(self, group_key: str, alerts: list[Alert]) -> None:
        bugzilla, settings = self.notifiers.bugzilla, self.notifiers.bugzilla_settings
        assert bugzilla is not None and settings is not None
        tag = whiteboard_tag(group_key)
        found = bugzilla.search(whiteboard=tag, product=settings.product)
        lead = content.strongest(alerts)
        if found:
            bug_id = found[0].id
            log.info("%s: bug %d was filed by an earlier run: recorded", group_key, bug_id)
        else:
            bug_id = bugzilla.create(
                product=settings.product,
                component=settings.component,
                summary=content.summary(alerts),
                description=content.body(alerts, self.settings.dashboard_url, self._cdf(lead)),
                keywords=settings.keywords,
                whiteboard=tag,
                needinfo=lead.recipients[0],
                version=settings.version,
            )
            log.info("%s: filed bug %d, needinfo %s", group_key, bug_id, lead.recipients[0])
            for owner in _first_owners(alerts)[1:]:  # other metrics of the group have owners too
                bugzilla.needinfo(bug_id, owner)
                log.info("%s: needinfo %s on bug %d", group_key, owner, bug_id)
        self.store.add_bug(
            StoredBug(bug_id, group_key, lead.project, lead.metric, lead.position, "NEW", "", now())
        )
        self.store.update([a.id for a in alerts if a.id], bug_id=bug_id, status=FILED)
        self.store.record_delivery([a.id for a in alerts if a.id], "bug", str(bug_id), SENT)

    def _cdf(self, alert: Alert) -> str | None:
        try:
            rows = cdf_before_after(self.ingest.reader, alert)
        except Exception as error:  # evidence is a nicety: a bug is filed without it
            log.warning("no CDF for %s: %s", alert.series, error)
            return None
        return cdf_text(rows) if rows else None

    # --- 3. links -------------------------------------------------------------------------

    def link_alerts(self) -> int:
        """New alerts joined to an existing bug (its group's, or an open one of the metric)."""
        bugzilla = self.notifiers.bugzilla
        waiting = self.store.pending("bug", without_bug=True)
        if bugzilla is None or not waiting:
            return 0
        joining: dict[int, list[Alert]] = defaultdict(list)
        for group_key, alerts in _grouped(waiting).items():
            bug_id = self._bug_to_join(group_key, alerts)
            if bug_id is not None:
                joining[bug_id] += alerts
        for bug_id, alerts in joining.items():
            self._comment(bug_id, alerts)
        return sum(len(alerts) for alerts in joining.values())

    def _comment(self, bug_id: int, alerts: list[Alert]) -> None:
        bugzilla = self.notifiers.bugzilla
        assert bugzilla is not None
        ids = [a.id for a in alerts if a.id]
        states = self.store.delivery_states("bug", str(bug_id), ids)
        unsent = [a for a in alerts if states.get(a.id or 0) != SENT]
        if unsent:
            self.store.record_delivery([a.id for a in unsent if a.id], "bug", str(bug_id), PENDING)
            bugzilla.comment(bug_id, content.linked_comment(unsent, self.settings.dashboard_url))
            self.store.record_delivery([a.id for a in unsent if a.id], "bug", str(bug_id), SENT)
        self.store.update(ids, bug_id=bug_id, status=FILED)
        log.info("linked %d alert(s) to bug %d", len(alerts), bug_id)

    def _bug_to_join(self, group_key: str, alerts: list[Alert]) -> int | None:
        """The bug of the group, else an open bug of the project holding an alert of the same
        metric, for a change at most ``link_window_days`` away (one regression seen a few days
        apart is one bug)."""
        own = self.store.bug_for_group(group_key)
        if own is not None:
            return own.id
        window = timedelta(days=self.settings.link_window_days)
        for bug in self.store.open_bugs():
            metrics = {bug.metric} | {a.metric for a in self._of_bug(bug.id)}
            for alert in alerts:
                if alert.project != bug.project or alert.metric not in metrics:
                    continue
                if abs(date_of(alert.position) - date_of(bug.position)) <= window:
                    return bug.id
        return None

    # --- 4. emails ------------------------------------------------------------------------

    def email_owners(self) -> int:
        """Emails sent to the owners of monitor-only metrics (one per owner and run)."""
        waiting = self.store.pending("email")
        if not waiting:
            return 0
        sender = self.notifiers.email
        if sender is None:
            log.warning("%d alert(s) wait for an email: alerts.email is not set", len(waiting))
            return 0
        sent, unreached = 0, set()
        for recipient in sorted({r for alert in waiting for r in alert.recipients}):
            mine = [a for a in waiting if recipient in a.recipients]
            states = self.store.delivery_states("email", recipient, [a.id or 0 for a in mine])
            unsent = [a for a in mine if states.get(a.id or 0) != SENT]
            if not unsent:
                continue
            if self._email(sender, recipient, unsent):
                sent += 1
            else:
                unreached |= {a.id for a in unsent}
        # alerts every owner was emailed about (now or by an earlier run) are emailed
        self.store.update([a.id for a in waiting if a.id and a.id not in unreached], status=EMAILED)
        return sent

    def _email(self, sender: EmailSender, to: str, alerts: list[Alert]) -> bool:
        """One email to ``to`` about every alert of this run it has not heard of; whether it
        was accepted."""
        ids = [a.id for a in alerts if a.id]
        lead = content.strongest(alerts)
        message_id = _message_id(to, ids)
        self.store.record_delivery(ids, "email", to, PENDING, reference=message_id)
        try:
            sender.send(
                [to],
                "[opwatch] " + content.summary(alerts),
                content.body(alerts, self.settings.dashboard_url, self._cdf(lead)),
                message_id=message_id,
            )
        except NotifyError as error:
            self.store.record_delivery(ids, "email", to, FAILED, message_id, str(error))
            log.error("email to %s failed: %s", to, error)
            return False
        self.store.record_delivery(ids, "email", to, SENT, reference=message_id)
        log.info("emailed %s about %d alert(s)", to, len(alerts))
        return True

    # --- 5. webhooks ----------------------------------------------------------------------

    def post_webhooks(self) -> int:
        """Alerts posted to the posting notifiers (each alert once per notifier and target)."""
        posted = 0
        posters = self.notifiers.posters()
        recent = self.store.find(AlertQuery(limit=100_000)) if posters else []
        for poster in posters:
            ids = [a.id or 0 for a in recent]
            states = self.store.delivery_states(poster.name, poster.target, ids)
            for alert in (a for a in recent if states.get(a.id or 0) != SENT):
                posted += self._post(poster, alert)
        return posted

    def _post(self, poster: AlertPoster, alert: Alert) -> int:
        ids, channel, target = [alert.id or 0], poster.name, poster.target
        try:
            payload = content.webhook_payload(alert, self.settings.dashboard_url)
            poster.send(payload, idempotency_key=alert.key)
        except NotifyError as error:
            self.store.record_delivery(ids, channel, target, FAILED, error=str(error))
            log.error("%s %s failed: %s", channel, target, error)
            return 0
        self.store.record_delivery(ids, channel, target, SENT)
        return 1


def whiteboard_tag(group_key: str) -> str:
    """The tag a group's bug carries, so that a later run finds it whatever happened."""
    return f"[opwatch:{hashlib.sha256(group_key.encode()).hexdigest()[:16]}]"


def _message_id(to: str, ids: Sequence[int]) -> str:
    """The same email gets the same Message-ID, so that a resend can be recognized."""
    digest = hashlib.sha256(f"{to}|{sorted(ids)}".encode()).hexdigest()[:24]
    return f"<opwatch-{digest}@opwatch>"


def _first_owners(alerts: Sequence[Alert]) -> list[str]:
    """The first owner of each metric among ``alerts``, the strongest alert's first."""
    lead = content.strongest(alerts)
    owners = [lead.recipients[0]] if lead.recipients else []
    for alert in alerts:
        if alert.recipients and alert.recipients[0] not in owners:
            owners.append(alert.recipients[0])
    return owners


def _earliest(group: tuple[str, list[Alert]]) -> str:
    """Groups are filed earliest change first: later ones may then join its bug."""
    return min(alert.position for alert in group[1])


def _grouped(alerts: Sequence[Alert]) -> dict[str, list[Alert]]:
    groups: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        groups[alert.group_key].append(alert)
    return groups
