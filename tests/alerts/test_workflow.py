"""The alert workflow end to end, on SQLite and on a real PostgreSQL server: the demo's planted
GC regression → run → detect → ``opwatch alerts`` files exactly one bug (a fake Bugzilla
speaking REST on loopback) and emails the owner of a monitor-only metric (aiosmtpd on
loopback); the bug is resolved → the next run records it; runs again → nothing duplicated."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.alerts.model import EMAILED, FILED
from opwatch.alerts.setup import open_manager
from opwatch.alerts.store import AlertQuery, AlertStore
from opwatch.config import load_project
from opwatch.config.alert_settings import AlertSettings, BugzillaSettings, EmailServerSettings
from opwatch.config.resolved import Project
from opwatch.config.settings import Settings
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from tests.alerts.bugzilla_server import FakeBugzilla
from tests.alerts.http_helpers import Reply, serving
from tests.alerts.smtp_server import Inbox
from tests.conftest import FOUR_WEEKS, settings_for

pytestmark = pytest.mark.slow
DASHBOARD = "http://opwatch.example"
GC_OWNERS = ["gc-owner@example.com", "gc-second@example.com"]
PAUSE_OWNER = "pause-owner@example.com"
METRICS_YAML = f"""\
$schema: moz://mozilla.org/schemas/glean/metrics/2-0-0
gc:
  ms:
    type: timing_distribution
    time_unit: millisecond
    description: Time spent running JS GC.
    bugs: [https://bugzilla.mozilla.org/show_bug.cgi?id=1]
    data_reviews: [https://example.com/review]
    notification_emails: [{GC_OWNERS[0]}]
    expires: never
    metadata:
      monitor:
        alert: true
        bugzilla_notification_emails: [{", ".join(GC_OWNERS)}]
  max_pause_ms_2:
    type: timing_distribution
    time_unit: millisecond
    description: Longest GC pause.
    bugs: [https://bugzilla.mozilla.org/show_bug.cgi?id=1]
    data_reviews: [https://example.com/review]
    notification_emails: [{PAUSE_OWNER}]
    expires: never
    metadata:
      monitor:
        alert: false
        bugzilla_notification_emails: [{PAUSE_OWNER}]
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The alert store: SQLite in a file, or a fresh database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings(
    four_weeks: GeneratedData,
    four_weeks_detected: Path,
    store_url: str,
    bugzilla: FakeBugzilla,
    smtp_inbox: tuple[Inbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    metrics_yaml = tmp_path / "metrics.yaml"
    metrics_yaml.write_text(METRICS_YAML)
    monkeypatch.setenv("BUGZILLA_API_KEY", "secret-key")
    alerts = AlertSettings(
        store=store_url,
        metrics_yaml=[metrics_yaml],
        dashboard_url=DASHBOARD,
        bugzilla=BugzillaSettings(url=bugzilla.url, product="Toolkit", component="Telemetry"),
        email=EmailServerSettings(host="127.0.0.1", port=smtp_inbox[1]),
    )
    return settings_for(four_weeks, four_weeks_detected).model_copy(update={"alerts": alerts})


def demo() -> Project:
    return load_project(demo_project_path())


def run_alerts(settings: Settings, day: date) -> dict[str, int]:
    with open_manager(settings) as manager:
        return manager.run([demo()], day)


def planted_regressions(results: Path, metric: str) -> set[tuple[str, str | None, str | None]]:
    """(statistic, parameter, os) of the regressions ``opwatch detect`` wrote for ``metric``
    in the treatment branch, read straight from the detections file."""
    rows = duckdb.sql(
        "SELECT statistic, parameter, os FROM read_parquet(?) WHERE metric = ? "
        "AND kind = 'shift' AND classification = 'regression' AND branch = 'treatment'",
        params=[str(results / "tables" / "opwatch_demo_detections" / "data.parquet"), metric],
    ).fetchall()
    return set(rows)


def stored(settings: Settings) -> AlertStore:
    assert settings.alerts.store is not None
    return AlertStore(settings.alerts.store)


def test_one_bug_one_email_then_the_resolution_and_nothing_twice(
    settings: Settings,
    bugzilla: FakeBugzilla,
    smtp_inbox: tuple[Inbox, int],
    four_weeks_detected: Path,
) -> None:
    last_day = FOUR_WEEKS.end_date
    start = FOUR_WEEKS.regression_start.isoformat()
    counts = run_alerts(settings, last_day)

    # exactly one bug, on the GC time regression, needinfo its first owner
    assert len(bugzilla.bugs) == 1, [b["summary"] for b in bugzilla.bugs.values()]
    [(bug_id, bug)] = bugzilla.bugs.items()
    assert bug["product"] == "Toolkit" and bug["component"] == "Telemetry"
    assert bug["summary"].startswith("opwatch-demo: gc_ms rose ")
    assert f"since {start}" in bug["summary"]
    assert [f["requestee"] for f in bug["flags"] if f["name"] == "needinfo"] == [GC_OWNERS[0]]
    assert "opwatch-alert" in bug["keywords"] and bug["whiteboard"].startswith("[opwatch:")
    description = bug["comments"][0]["text"]
    assert f"{DASHBOARD}/projects/opwatch-demo?" in description
    assert "Distribution of gc_ms before and after" in description

    # every planted regression of gc_ms is an alert in that bug, and is listed in it
    store = stored(settings)
    alerts = store.find(AlertQuery(limit=10_000))
    gc_detections = [a for a in alerts if a.metric == "gc_ms" and a.source.startswith("detect")]
    expected = planted_regressions(four_weeks_detected, "gc_ms")
    assert expected, "the demo's regression must be detected"
    found = {(a.statistic, a.parameter, a.dimensions["os"]) for a in gc_detections}
    assert found == expected
    assert {a.position for a in gc_detections} == {start}
    assert all(a.bug_id == bug_id and a.status == FILED for a in gc_detections)
    for alert in gc_detections:
        assert f"- {alert.series}: " in description

    # one email, to the monitor-only metric's owner, about its regressions
    received, _ = smtp_inbox
    assert len(received.envelopes) == 1
    assert received.envelopes[0].rcpt_tos == [PAUSE_OWNER]
    email = received.message()
    assert "gc_max_pause_ms_2" in email["Subject"]
    pauses = [a for a in alerts if a.metric == "gc_max_pause_ms_2"]
    assert {(a.statistic, a.parameter, a.dimensions["os"]) for a in pauses} == (
        planted_regressions(four_weeks_detected, "gc_max_pause_ms_2")
    )
    assert all(a.status == EMAILED and a.bug_id is None for a in pauses)
    body = email.get_body(("plain",))
    assert body is not None and f"- {pauses[0].series}: " in body.get_content()
    assert counts["filed"] == 1 and counts["emailed"] == 1
    before, comments = len(alerts), len(bug["comments"])
    store.close()

    # the developer fixes it; the next day's run records the resolution, files nothing new
    bugzilla.resolve(bug_id, "FIXED")
    counts = run_alerts(settings, last_day + timedelta(days=1))
    assert counts["synced"] == len([a for a in alerts if a.bug_id == bug_id])
    assert counts["filed"] == counts["emailed"] == counts["ingested"] == 0
    store = stored(settings)
    in_bug = store.find(AlertQuery(bug_id=bug_id, limit=10_000))
    assert in_bug and {a.status for a in in_bug} == {"fixed"}

    # the same day again: nothing duplicated anywhere
    run_alerts(settings, last_day + timedelta(days=1))
    assert len(bugzilla.bugs) == 1 and len(received.envelopes) == 1
    assert len(bugzilla.bugs[bug_id]["comments"]) == comments
    assert len(store.find(AlertQuery(limit=10_000))) == before
    store.close()


def test_a_crash_after_filing_resumes_without_a_second_bug(
    settings: Settings, bugzilla: FakeBugzilla, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("killed between filing the bug and recording it")

    with monkeypatch.context() as patch:
        patch.setattr(AlertStore, "add_bug", crash)
        with pytest.raises(RuntimeError, match="killed"):
            run_alerts(settings, FOUR_WEEKS.end_date)
    assert len(bugzilla.bugs) == 1

    run_alerts(settings, FOUR_WEEKS.end_date)
    assert len(bugzilla.bugs) == 1
    [bug_id] = bugzilla.bugs
    store = stored(settings)
    gc = [a for a in store.find(AlertQuery(metric="gc_ms")) if a.source.startswith("detect")]
    assert gc and all(a.bug_id == bug_id for a in gc)
    [run] = [r for r in store.runs() if r["day"] == FOUR_WEEKS.end_date]
    assert run["error"] is None and run["finished_at"] is not None
    store.close()


def test_every_alert_is_posted_to_each_webhook_once(settings: Settings) -> None:
    with serving(lambda request: Reply(204)) as receiver:
        hooked = settings.model_copy(
            update={"alerts": settings.alerts.model_copy(update={"webhooks": [receiver.url]})}
        )
        first = run_alerts(hooked, FOUR_WEEKS.end_date)
        run_alerts(hooked, FOUR_WEEKS.end_date)
    store = stored(settings)
    alerts = store.find(AlertQuery(limit=10_000))
    store.close()
    posted = [json.loads(request.body) for request in receiver.received]
    assert first["posted"] == len(posted) == len(alerts)
    assert sorted(p["alert"]["key"] for p in posted) == sorted(a.key for a in alerts)
    keys = [request.headers["idempotency-key"] for request in receiver.received]
    assert sorted(keys) == sorted(a.key for a in alerts)
    assert all(p["links"]["dashboard"].startswith(f"{DASHBOARD}/projects/") for p in posted)


def test_two_metrics_of_one_day_share_a_bug_and_both_owners_are_asked(
    settings: Settings, bugzilla: FakeBugzilla, smtp_inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    both_bugs = tmp_path / "both.yaml"
    both_bugs.write_text(METRICS_YAML.replace("alert: false", "alert: true"))
    alerts = settings.alerts.model_copy(update={"metrics_yaml": [both_bugs]})
    run_alerts(settings.model_copy(update={"alerts": alerts}), FOUR_WEEKS.end_date)
    assert len(bugzilla.bugs) == 1, [b["summary"] for b in bugzilla.bugs.values()]
    [bug] = bugzilla.bugs.values()
    asked = [f["requestee"] for f in bug["flags"] if f["name"] == "needinfo" and f["status"] == "?"]
    assert sorted(asked) == sorted([GC_OWNERS[0], PAUSE_OWNER])
    description = bug["comments"][0]["text"]
    assert "gc_max_pause_ms_2, " in description and "gc_ms, " in description
    assert smtp_inbox[0].envelopes == []
