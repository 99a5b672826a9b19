"""Detections and rule hits → alerts, over a small hand-made results folder: which changes
become alerts, which are history or already known, where each goes, and how they group."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from opwatch.alerts.ingest import Ingest
from opwatch.alerts.model import Alert
from opwatch.alerts.revisions import RevisionRange
from opwatch.alerts.store import AlertStore
from opwatch.config import load_project
from opwatch.config.resolved import Alert as Rule
from opwatch.config.resolved import Monitor, Project, result_table
from opwatch.config.settings import EngineSettings, Settings
from opwatch.demo import demo_project_path
from opwatch.engines.duckdb import DuckDBEngine
from opwatch.errors import NotifyError
from opwatch.pipeline.detection_rows import detections_schema
from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE, project_row
from opwatch.results import ResultsReader

DEMO = load_project(demo_project_path())
SLUG = DEMO.slug
LAST = date(2026, 10, 30)
"""The last day of the statistics: lookback counts back from it, not from the run's day."""
STATISTIC_DAYS = tuple(LAST - timedelta(days=n) for n in (2, 1, 0))
RUN_DAY = date(2026, 12, 1)
OWNER = Monitor(alert=True, emails=("gc@example.com",))


def project(gc_ms: Monitor = OWNER, rules: tuple[Rule, ...] = ()) -> Project:
    """The demo project with gc_ms monitored as told, and ``rules`` as its [alerts]."""
    metrics = tuple(
        dataclasses.replace(m, monitor=gc_ms) if m.name == "gc_ms" else m for m in DEMO.metrics
    )
    return dataclasses.replace(DEMO, metrics=metrics, alerts=rules)


def detection(position: date, **changes: Any) -> dict[str, Any]:
    """A rising shift of gc_ms p95 on Windows, treatment, at ``position``."""
    row = dict(
        xaxis_value=position.isoformat(),
        previous_xaxis_value=(position - timedelta(days=1)).isoformat(),
        metric="gc_ms",
        statistic="percentile",
        parameter="95",
        branch="treatment",
        os="Windows",
        kind="shift",
        direction="up",
        classification="regression",
        feature="mean",
        magnitude=2.5,
        relative_change=0.25,
        score=9.04,
        p_value=0.001,
        before=10.0,
        after=12.5,
        technique="binseg",
    )
    return row | changes


def uri_counts(treatment: list[float]) -> pa.Table:
    """uri_count means on Linux over ``STATISTIC_DAYS``: control at 1, treatment as given."""
    rows = [(day, "control", 1.0) for day in STATISTIC_DAYS]
    rows += list(zip(STATISTIC_DAYS, ["treatment"] * 3, treatment, strict=True))
    days, branches, points = (list(column) for column in zip(*rows, strict=True))
    n = len(points)
    return pa.table(
        {
            "submission_date": days,
            "os": ["Linux"] * n,
            "branch": branches,
            "metric": ["uri_count"] * n,
            "statistic": ["mean"] * n,
            "parameter": pa.nulls(n, pa.string()),
            "comparison": pa.nulls(n, pa.string()),
            "point": points,
            "lower": points,
            "upper": points,
        }
    )


class Results:
    """A results folder with the demo project's row, statistics and detections."""

    def __init__(self, folder: Path) -> None:
        self.engine = DuckDBEngine(Settings(engine=EngineSettings(results=folder)))
        self.engine.results.replace_table(
            PROJECTS_TABLE, [project_row(DEMO)], "slug", PROJECTS_COLUMNS
        )
        self.statistics([1.0, 1.0, 1.0])
        self.reader = ResultsReader(self.engine.reads)
        self.store = AlertStore(f"sqlite:///{folder / 'alerts.sqlite'}")

    def statistics(self, treatment: list[float]) -> None:
        table = result_table(DEMO.slug, "statistics")
        self.engine.results.write_rows(table, uri_counts(treatment), STATISTIC_DAYS)

    def detections(self, *rows: dict[str, Any]) -> None:
        table = pa.Table.from_pylist(list(rows), schema=detections_schema(DEMO))
        self.engine.results.write_table(result_table(DEMO.slug, "detections"), table)

    def ingest(self, configured: Project, **options: Any) -> list[Alert]:
        return Ingest(self.reader, self.store, **options).run(configured, RUN_DAY)


@pytest.fixture
def results(tmp_path: Path) -> Iterator[Results]:
    made = Results(tmp_path / "results")
    yield made
    made.store.close()
    made.engine.close()


@pytest.mark.parametrize(
    ("kind", "classification", "kept"),
    [
        ("shift", "regression", True),
        ("shift", "change", True),  # no lower_is_better: either direction is news
        ("shift", "improvement", False),
        ("spike", "regression", False),  # one or two days that come back
    ],
)
def test_only_shifts_that_are_not_improvements_become_alerts(
    results: Results, kind: str, classification: str, kept: bool
) -> None:
    position = LAST - timedelta(days=3)
    results.detections(detection(position, kind=kind, classification=classification))
    added = results.ingest(project())
    assert len(added) == (1 if kept else 0)
    for alert in added:
        assert {name: getattr(alert, name) for name in FROM_DETECTION} == FROM_DETECTION
        assert alert.message == f"{classification} (mean), score 9.0"


@pytest.mark.parametrize(
    ("lower_is_better", "direction", "kept"),
    [(True, "up", True), (True, "down", False), (False, "down", True), (False, "up", False)],
)
def test_an_unclassified_change_is_judged_by_the_owners_direction(
    results: Results, lower_is_better: bool, direction: str, kept: bool
) -> None:
    """Detection classifies by the project config; a metrics.yaml may know better."""
    owners = dataclasses.replace(OWNER, lower_is_better=lower_is_better)
    position = LAST - timedelta(days=3)
    results.detections(detection(position, classification="change", direction=direction))
    assert len(results.ingest(project(owners))) == (1 if kept else 0)


FROM_DETECTION = dict(
    project=SLUG,
    metric="gc_ms",
    statistic="percentile",
    parameter="95",
    branch="treatment",
    dimensions={"os": "Windows"},
    xaxis="submission_date",
    position="2026-10-27",
    previous_position="2026-10-26",
    source="detection:binseg",
    direction="up",
    before=10.0,
    after=12.5,
    relative_change=0.25,
    p_value=0.001,
    day=RUN_DAY,
)


def test_a_detection_on_an_unmonitored_metric_is_no_alert(results: Results) -> None:
    results.detections(detection(LAST, metric="uri_count", statistic="mean", parameter=None))
    assert results.ingest(project()) == []


@pytest.mark.parametrize(("days_before_last", "kept"), [(0, True), (14, True), (15, False)])
def test_changes_older_than_the_lookback_are_history(
    results: Results, days_before_last: int, kept: bool
) -> None:
    results.detections(detection(LAST - timedelta(days=days_before_last)))
    assert len(results.ingest(project(), lookback_days=14)) == (1 if kept else 0)


@pytest.mark.parametrize(
    ("offset", "new"), [(0, False), (1, False), (-2, False), (2, False), (3, True), (-3, True)]
)
def test_a_change_found_again_a_day_or_two_off_is_the_same_change(
    results: Results, offset: int, new: bool
) -> None:
    first = LAST - timedelta(days=5)
    results.detections(detection(first))
    assert len(results.ingest(project())) == 1
    assert results.ingest(project()) == []  # a rerun adds nothing
    results.detections(detection(first + timedelta(days=offset)))
    assert len(results.ingest(project())) == (1 if new else 0)


@pytest.mark.parametrize(
    ("monitor", "route", "note"),
    [
        (OWNER, "bug", "alert: true, from [metrics.gc_ms.monitor]"),
        (
            Monitor(alert=True),
            "none",
            "alert: true but no bugzilla_notification_emails in [metrics.gc_ms.monitor]: "
            "no bug filed",
        ),
        (
            Monitor(alert=False, emails=("gc@example.com",)),
            "email",
            "monitor-only (alert: false), from [metrics.gc_ms.monitor]",
        ),
        (
            Monitor(alert=False),
            "none",
            "monitor-only without bugzilla_notification_emails in [metrics.gc_ms.monitor]: "
            "nobody to email",
        ),
    ],
)
def test_alerts_are_routed_by_their_metric_owners(
    results: Results, monitor: Monitor, route: str, note: str
) -> None:
    results.detections(detection(LAST))
    [alert] = results.ingest(project(monitor))
    assert (alert.route, alert.recipients, alert.note) == (route, monitor.emails, note)
    assert alert.status == ("unrouted" if route == "none" else "new")


def test_a_rule_hit_on_an_unmonitored_metric_goes_nowhere_but_is_kept(results: Results) -> None:
    results.statistics([1.0, 9.0, 9.5])  # above 5 from the second day on: one change
    limits = Rule(name="limits", type="threshold", metrics=("uri_count",), max=(5.0,))
    [alert] = results.ingest(project(rules=(limits,)))
    where = (alert.metric, alert.branch, alert.dimensions, alert.position, alert.previous_position)
    assert where == ("uri_count", "treatment", {"os": "Linux"}, "2026-10-29", "2026-10-28")
    assert (alert.source, alert.route, alert.status) == ("rule:limits", "none", "unrouted")
    assert alert.note == "uri_count has no monitor settings: Alerts page and webhooks only"
    assert (alert.message, alert.before, alert.after) == (
        "Value above threshold (9 > 5)",
        None,
        9.0,
    )
    assert results.ingest(project(rules=(limits,))) == []


@pytest.mark.parametrize(
    ("platforms", "os", "kept"),
    [
        (("Windows",), "Linux", False),
        (("Windows",), "Windows", True),
        (("All",), "Linux", True),
        (None, "Linux", True),
        (("Darwin",), "Mac", True),
        (("Windows", "Darwin"), "Mac", True),
        (("Linux",), "Mac", False),
        (("Windows",), "Android", False),
    ],
)
def test_owners_platforms_filter_detections(
    results: Results, platforms: tuple[str, ...] | None, os: str, kept: bool
) -> None:
    results.detections(detection(LAST, os=os))
    monitor = dataclasses.replace(OWNER, platforms=platforms)
    assert len(results.ingest(project(monitor))) == (1 if kept else 0)


class Pushlog:
    """A revision resolver that names a window's end, and counts how often it is asked."""

    def __init__(self, failure: NotifyError | None = None) -> None:
        self.failure = failure
        self.asked: list[tuple[datetime, datetime]] = []

    def resolve(self, start: datetime, end: datetime) -> RevisionRange | None:
        self.asked.append((start, end))
        if self.failure is not None:
            raise self.failure
        return RevisionRange("mozilla-central", "r-from", f"r-{end:%m%d}", 3, "https://hg/x")


def test_the_group_is_the_position_without_a_resolver(results: Results) -> None:
    results.detections(detection(LAST), detection(LAST, os="Linux"))
    added = results.ingest(project())
    assert [(a.group_key, a.revision_range) for a in added] == [(f"{SLUG}|2026-10-30", None)] * 2


def test_the_group_is_the_last_revision_with_a_resolver(results: Results) -> None:
    results.detections(detection(LAST), detection(LAST, os="Linux"))
    pushlog = Pushlog()
    added = results.ingest(project(), resolver=pushlog)
    assert [a.group_key for a in added] == [f"{SLUG}|r-1031"] * 2
    assert added[0].revision_range == {
        "repository": "mozilla-central",
        "from_revision": "r-from",
        "to_revision": "r-1031",
        "pushes": 3,
        "url": "https://hg/x",
    }
    # from the start of the last good day to the end of the first bad one, asked once
    assert pushlog.asked == [
        (datetime(2026, 10, 29, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC))
    ]


def test_a_failing_resolver_falls_back_to_the_position(results: Results) -> None:
    results.detections(detection(LAST))
    pushlog = Pushlog(NotifyError("503 Service Unavailable", service="pushlog", status=503))
    [alert] = results.ingest(project(), resolver=pushlog)
    assert (alert.group_key, alert.revision_range) == (f"{SLUG}|2026-10-30", None)
    assert len(pushlog.asked) == 1
