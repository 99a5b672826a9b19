"""The alert store on SQLite and on a real PostgreSQL: its migrations, and every write being
idempotent on its natural key (an alert's key, a bug's group, a delivery's target)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from opwatch.alerts.model import Alert
from opwatch.alerts.store import OPEN, AlertQuery, AlertStore, StoredBug
from tests.alerts.samples import sample_alert

STAMP = datetime(2026, 10, 20, 6, 30, 15, 123456)
TABLES = {"alerts", "bugs", "deliveries", "manager_runs", "opwatch_alerts_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite in a file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


@pytest.fixture
def store(url: str) -> Iterator[AlertStore]:
    opened = AlertStore(url)
    yield opened
    opened.close()


def alert(**changes: Any) -> Alert:
    """gc_ms p95 on Windows rising on 2026-10-15 in project "demo", unless told otherwise."""
    values: dict[str, Any] = dict(
        project="demo",
        dimensions={"os": "Windows", "channel": None},
        position="2026-10-15",
        previous_position="2026-10-14",
        after=12.5,
        relative_change=0.25,
        message="regression",
        recipients=("a@example.com", "b@example.com"),
        group_key="demo|2026-10-15",
        day=date(2026, 10, 20),
        created_at=STAMP,
        updated_at=STAMP,
        revision_range={"from_revision": "abc", "to_revision": "def"},
    )
    return sample_alert(**(values | changes))


def plain_sql(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def test_migrations_create_the_tables_once(url: str) -> None:
    first = AlertStore(url)
    [added] = first.add([alert()])
    first.close()
    engine = sa.create_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()
    assert plain_sql(url, "SELECT version_num FROM opwatch_alerts_version") == [("0001",)]
    again = AlertStore(url)  # a second opening migrates nothing and keeps the data
    try:
        assert again.by_keys([added.key]) == [added]
    finally:
        again.close()
    assert plain_sql(url, "SELECT version_num FROM opwatch_alerts_version") == [("0001",)]


def test_an_alert_comes_back_as_it_went_in(store: AlertStore) -> None:
    original = alert()
    [stored] = store.add([original])
    assert stored.id is not None
    assert stored == dataclasses.replace(original, id=stored.id)


def test_adding_is_idempotent_on_the_alert_key(store: AlertStore, url: str) -> None:
    first = alert()
    other = alert(position="2026-10-16")
    assert [a.key for a in store.add([first])] == [first.key]
    assert store.add([first]) == []
    assert store.add([alert(message="the same change, said again")]) == []
    assert [a.key for a in store.add([first, other])] == [other.key]
    assert plain_sql(url, "SELECT COUNT(*) FROM alerts") == [(2,)]


@pytest.mark.parametrize(
    ("stored", "positions", "near"),
    [
        ({}, ["2026-10-14", "2026-10-15", "2026-10-16"], True),
        ({}, ["2026-10-16", "2026-10-17"], False),
        ({"branch": "control"}, ["2026-10-15"], False),
        ({"dimensions": {"os": "Linux", "channel": None}}, ["2026-10-15"], False),
        ({"dimensions": {"os": "Windows", "channel": "beta"}}, ["2026-10-15"], False),
        ({"direction": "down"}, ["2026-10-15"], False),
        ({"source": "rule:limits"}, ["2026-10-15"], False),
        ({"parameter": "50"}, ["2026-10-15"], False),
        ({"metric": "uri_count"}, ["2026-10-15"], False),
        ({"project": "other"}, ["2026-10-15"], False),
        ({"message": "said otherwise", "route": "email"}, ["2026-10-15"], True),
    ],
)
def test_near_finds_the_same_series_at_one_of_the_positions(
    store: AlertStore, stored: dict[str, Any], positions: list[str], near: bool
) -> None:
    store.add([alert(**stored)])
    assert store.near(alert(), positions) is near


def test_near_matches_absent_parameters_and_branches(store: AlertStore) -> None:
    store.add([alert(parameter=None, branch=None, direction=None)])
    assert store.near(alert(parameter=None, branch=None, direction=None), ["2026-10-15"])
    assert not store.near(alert(branch=None, direction=None), ["2026-10-15"])


FOUND = {
    "a": dict(position="2026-10-15", day=date(2026, 10, 15)),
    "b": dict(position="2026-10-16", day=date(2026, 10, 16), metric="uri_count"),
    "c": dict(position="2026-10-17", day=date(2026, 10, 17), project="other"),
    "d": dict(position="2026-10-18", day=date(2026, 10, 18), status="filed", bug_id=7),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AlertQuery(), "dcba"),  # newest position first
        (AlertQuery(status="new"), "cba"),
        (AlertQuery(status="filed"), "d"),
        (AlertQuery(project="demo"), "dba"),
        (AlertQuery(metric="uri_count"), "b"),
        (AlertQuery(since=date(2026, 10, 16)), "dcb"),
        (AlertQuery(until=date(2026, 10, 16)), "ba"),
        (AlertQuery(since=date(2026, 10, 16), until=date(2026, 10, 17)), "cb"),
        (AlertQuery(bug_id=7), "d"),
        (AlertQuery(bug_id=8), ""),
        (AlertQuery(project="demo", metric="gc_ms", status="new"), "a"),
        (AlertQuery(limit=2), "dc"),
    ],
)
def test_find_filters(store: AlertStore, query: AlertQuery, expected: str) -> None:
    added = store.add([alert(**values) for values in FOUND.values()])
    label = {stored.key: name for name, stored in zip(FOUND, added, strict=True)}
    assert "".join(label[a.key] for a in store.find(query)) == expected


def test_the_open_status_finds_every_status_still_waiting_on_someone(store: AlertStore) -> None:
    statuses = ["new", "filed", "fixed", "emailed", "unrouted", "wontfix"]
    store.add([alert(position=f"2026-10-{10 + n}", status=s) for n, s in enumerate(statuses)])
    found = store.find(AlertQuery(status=OPEN))
    assert [a.status for a in found] == ["unrouted", "emailed", "filed", "new"]  # newest first
    assert [a.status for a in store.find(AlertQuery(status=OPEN, limit=2))] == [
        "unrouted",
        "emailed",
    ]


def test_update_changes_the_status_of_the_alerts_given(store: AlertStore) -> None:
    first, second = store.add([alert(), alert(position="2026-10-16")])
    assert first.id is not None
    store.update([first.id], status="filed", bug_id=3)
    assert [a.key for a in store.find(AlertQuery(status="filed", bug_id=3))] == [first.key]
    assert [a.key for a in store.pending("bug")] == [second.key]


def test_a_delivery_is_recorded_once_and_updated(store: AlertStore, url: str) -> None:
    first, second = (a.id or 0 for a in store.add([alert(), alert(position="2026-10-16")]))
    ids = [first, second]
    store.record_delivery(ids, "email", "a@example.com", "pending")
    store.record_delivery([first], "email", "a@example.com", "sent", reference="<m@x>")
    store.record_delivery([first], "webhook", "http://hook", "failed", error="500")
    states = store.delivery_states("email", "a@example.com", ids)
    assert states == {first: "sent", second: "pending"}
    assert store.delivery_states("webhook", "http://hook", ids) == {first: "failed"}
    assert store.delivery_states("email", "b@example.com", ids) == {}
    rows = plain_sql(url, "SELECT channel, state, reference, error FROM deliveries ORDER BY id")
    assert sorted(rows, key=repr) == sorted(
        [
            ("email", "sent", "<m@x>", None),
            ("email", "pending", None, None),
            ("webhook", "failed", None, "500"),
        ],
        key=repr,
    )


def bug(number: int, group: str, status: str = "NEW", resolution: str = "") -> StoredBug:
    return StoredBug(number, group, "demo", "gc_ms", "2026-10-15", status, resolution, STAMP)


def test_bugs_by_group_and_resolution(store: AlertStore, url: str) -> None:
    store.add_bug(bug(11, "demo|abc"))
    store.add_bug(bug(12, "demo|def"))
    store.add_bug(bug(11, "demo|abc", "RESOLVED", "FIXED"))  # a second record changes nothing
    assert plain_sql(url, "SELECT COUNT(*) FROM bugs") == [(2,)]
    assert store.bug_for_group("demo|abc") == bug(11, "demo|abc")
    assert store.bug_for_group("demo|none") is None
    assert [b.id for b in store.open_bugs()] == [11, 12]
    store.set_bug_state(11, "RESOLVED", "FIXED")
    assert [b.id for b in store.open_bugs()] == [12]
    assert store.bug_for_group("demo|abc") == bug(11, "demo|abc", "RESOLVED", "FIXED")
    assert [b.id for b in store.all_bugs()] == [11, 12]


def test_runs_are_recorded_per_day_newest_first(store: AlertStore) -> None:
    first, second = date(2026, 10, 19), date(2026, 10, 20)
    store.start_run(first)
    store.finish_run(first, {"filed": 1, "emailed": 2})
    store.start_run(second)
    store.finish_run(second, {}, error="bugzilla: 503")
    store.start_run(first)  # a rerun starts the day again
    runs = store.runs()
    assert [run["day"] for run in runs] == [second, first]
    assert (runs[0]["counts"], runs[0]["error"]) == ("{}", "bugzilla: 503")
    assert runs[1]["finished_at"] is None and runs[1]["counts"] is None
    store.finish_run(first, {"filed": 3})
    rerun = store.runs()[1]
    assert json.loads(rerun["counts"]) == {"filed": 3}
    assert rerun["started_at"] <= rerun["finished_at"]
