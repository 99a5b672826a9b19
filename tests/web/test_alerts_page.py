"""The Alerts page and ``/api/v1/alerts`` over an alert store filled by hand: each filter and
their combinations list what the store holds, a shared URL shows the same rows, the links
lead to the dashboard, the bug and the pushes, bad filters are 400s that say what to give, and
the empty states say what to do."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opwatch.alerts.model import OPEN_STATUSES
from opwatch.alerts.store import AlertQuery, AlertStore
from opwatch.config.alert_settings import AlertSettings, BugzillaSettings
from opwatch.config.settings import Settings
from opwatch.web import create_app
from tests.alerts.samples import sample_alert
from tests.web.local import local_client

PUSHES = "https://hg.example.com/mozilla-central/pushloghtml?fromchange=abc&tochange=def"
SAMPLES = {
    "gc_windows": sample_alert(
        revision_range={"url": PUSHES, "pushes": 3, "from_revision": "abc", "to_revision": "def"}
    ),
    "uri_new": sample_alert(
        metric="uri_count",
        statistic="mean",
        parameter=None,
        dimensions={"os": None},
        position="2026-10-18",
        day=date(2026, 10, 19),
    ),
    "other_fixed": sample_alert(
        project="other-project", statistic="mean", position="2026-10-25", day=date(2026, 10, 26)
    ),
    "ticks_wontfix": sample_alert(
        metric="active_ticks", position="2026-10-14", day=date(2026, 10, 15), route="email"
    ),
    "gc_unrouted": sample_alert(
        statistic="mean", position="2026-10-10", day=date(2026, 10, 11), route="none"
    ),
}
NEWEST_FIRST = ["other_fixed", "gc_windows", "uri_new", "ticks_wontfix", "gc_unrouted"]
BUGZILLA = "https://bugzilla.example.com"


@dataclasses.dataclass
class Filled:
    """An app over a results folder whose alert store holds ``SAMPLES``."""

    store: AlertStore
    names: dict[int, str]
    """Stored id → sample name."""
    settings: Settings


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Filled]:
    results = tmp_path / "results"
    store = AlertStore.in_folder(results)
    added = {alert.key: alert.id for alert in store.add(SAMPLES.values())}
    ids = {name: added[alert.key] for name, alert in SAMPLES.items()}
    assert None not in ids.values()
    store.update([ids["gc_windows"]], status="filed", bug_id=1234)
    store.update([ids["other_fixed"]], status="fixed", bug_id=99, note="backed out in bug 98")
    store.update([ids["ticks_wontfix"]], status="wontfix", bug_id=77)
    store.update([ids["gc_unrouted"]], status="unrouted", note="no owner: monitored by nobody")
    settings = Settings.model_validate({"engine": {"results": str(results)}})
    yield Filled(store, {v: k for k, v in ids.items() if v is not None}, settings)
    store.close()


@pytest.fixture
def web(filled: Filled) -> Iterator[TestClient]:
    """The app over ``filled``, its lifespan run (the store closed after)."""
    with local_client(create_app(filled.settings)) as client:
        yield client


def page_ids(page: str) -> list[int]:
    """The alert ids of the page's table, top to bottom."""
    return [int(found) for found in re.findall(r'<tr data-id="(\d+)"', page)]


def page_row(page: str, alert_id: int) -> str:
    """One row of the page's table (entities unescaped)."""
    found = re.search(rf'<tr data-id="{alert_id}".*?</tr>', page, re.DOTALL)
    assert found, f"no row of alert {alert_id}"
    return html.unescape(found.group())


def listed(web: TestClient, filled: Filled, query: str) -> tuple[list[str], list[str]]:
    """The sample names the page and the API list for ``query``, in their order."""
    page = web.get(f"/alerts?{query}")
    api = web.get(f"/api/v1/alerts?{query}")
    assert page.status_code == api.status_code == 200, (page.text, api.text)
    on_page = [filled.names[i] for i in page_ids(page.text)]
    return on_page, [filled.names[row["id"]] for row in api.json()["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", NEWEST_FIRST),
        ("status=&project=&metric=&since=&until=", NEWEST_FIRST),  # the form's "any"
        ("status=filed", ["gc_windows"]),
        ("status=open", ["gc_windows", "uri_new", "gc_unrouted"]),
        ("status=fixed", ["other_fixed"]),
        ("project=other-project", ["other_fixed"]),
        ("metric=gc_ms", ["other_fixed", "gc_windows", "gc_unrouted"]),
        ("since=2026-10-19", ["other_fixed", "gc_windows", "uri_new"]),  # on the alert's day
        ("until=2026-10-15", ["ticks_wontfix", "gc_unrouted"]),
        ("since=2026-10-15&until=2026-10-21", ["gc_windows", "uri_new", "ticks_wontfix"]),
        ("project=opwatch-demo&metric=gc_ms&status=open", ["gc_windows", "gc_unrouted"]),
        ("status=open&since=2026-10-12&until=2026-10-20", ["uri_new"]),
        ("project=opwatch-demo&metric=active_ticks&status=wontfix", ["ticks_wontfix"]),
        ("limit=2", NEWEST_FIRST[:2]),
    ],
)
def test_the_filters_list_the_matching_alerts_newest_change_first(
    web: TestClient, filled: Filled, query: str, expected: list[str]
) -> None:
    on_page, in_api = listed(web, filled, query)
    assert on_page == in_api == expected


def test_the_api_rows_are_the_stores(web: TestClient, filled: Filled) -> None:
    for status in (None, "filed", "unrouted"):
        stored = filled.store.find(AlertQuery(status=status))
        rows = web.get("/api/v1/alerts", params={"status": status or ""}).json()["rows"]
        assert [row["id"] for row in rows] == [alert.id for alert in stored]
        for row, alert in zip(rows, stored, strict=True):
            for field in dataclasses.fields(alert):
                value = getattr(alert, field.name)
                if field.name == "key":
                    continue
                if isinstance(value, datetime):  # stored naive UTC, served with its offset
                    value = value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
                elif isinstance(value, date):
                    value = value.isoformat()
                if isinstance(value, tuple):
                    value = list(value)
                assert row[field.name] == value, field.name
            assert (row["series"], row["change_text"]) == (alert.series, alert.change_text)


def test_open_is_every_status_still_waiting_on_someone(web: TestClient, filled: Filled) -> None:
    every = [a for s in OPEN_STATUSES for a in filled.store.find(AlertQuery(status=s))]
    rows = web.get("/api/v1/alerts?status=open").json()["rows"]
    assert sorted(row["id"] for row in rows) == sorted(alert.id or 0 for alert in every)
    assert [row["position"] for row in rows] == sorted((r["position"] for r in rows), reverse=True)


def test_a_shared_url_shows_the_same_rows(web: TestClient, filled: Filled) -> None:
    first = web.get("/alerts?status=open&project=opwatch-demo&since=2026-10-01&metric=gc_ms")
    form = first.text[first.text.index("<form") : first.text.index("</form>")]
    values = dict(re.findall(r'<input (?:type="date" )?name="(\w+)"[^>]*value="([^"]*)"', form))
    [status] = re.findall(r'<option value="(\w+)" selected>', form)
    assert values == {
        "project": "opwatch-demo",
        "metric": "gc_ms",
        "since": "2026-10-01",
        "until": "",
    }
    assert status == "open"
    again = web.get("/alerts", params={"status": status, **values})  # as the form submits it
    assert page_ids(again.text) == page_ids(first.text) != []
    json_link = html.unescape(re.findall(r'<a class="json" href="([^"]+)"', first.text)[0])
    rows = web.get(json_link).json()["rows"]
    assert [row["id"] for row in rows] == page_ids(first.text)
    assert [filled.names[i] for i in page_ids(first.text)] == ["gc_windows", "gc_unrouted"]


def test_rows_link_to_the_dashboard_and_the_pushes_and_name_the_bug(
    web: TestClient, filled: Filled
) -> None:
    page = web.get("/alerts").text
    ids = {name: alert_id for alert_id, name in filled.names.items()}
    row = page_row(page, ids["gc_windows"])
    assert '<a class="project" href="/projects/opwatch-demo">opwatch-demo</a>' in row
    assert 'href="/projects/opwatch-demo?percentile=95&os=Windows#metric-gc_ms"' in row
    assert "gc_ms, percentile 95, treatment, os=Windows" in row
    assert "10 → 15 (+50.0 %)" in row and ">2026-10-20<" in row and "detection:binseg" in row
    assert f'<a class="revisions" href="{PUSHES}" title="abc..def">3 pushes</a>' in row
    assert ">1234<" in row and "show_bug" not in row  # no bug tracker configured: the number
    unrouted = page_row(page, ids["gc_unrouted"])
    assert "no owner: monitored by nobody" in unrouted and 'class="revisions"' not in unrouted
    assert 'href="/projects/opwatch-demo?os=Windows#metric-gc_ms"' in unrouted  # a mean
    uri = page_row(page, ids["uri_new"])
    assert 'href="/projects/opwatch-demo#metric-uri_count"' in uri  # os unset: not in the URL


def test_bugs_link_to_the_configured_tracker(filled: Filled) -> None:
    bugzilla = BugzillaSettings(url=BUGZILLA + "/", product="Testing", component="Performance")
    settings = filled.settings.model_copy(update={"alerts": AlertSettings(bugzilla=bugzilla)})
    with local_client(create_app(settings)) as client:
        page = client.get("/alerts?status=filed").text
        rows = client.get("/api/v1/alerts?status=filed").json()["rows"]
    [alert_id] = page_ids(page)
    link = f"{BUGZILLA}/show_bug.cgi?id=1234"
    assert f'<a class="bug" href="{link}">1234</a>' in page_row(page, alert_id)
    assert [row["bug_url"] for row in rows] == [link]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=opened", 'unknown status "opened": give one of open, new, filed'),
        ("since=2026-02-30", 'since "2026-02-30" is not a date: give YYYY-MM-DD'),
        ("until=yesterday", 'until "yesterday" is not a date'),
        ("since=2026-10-21&until=2026-10-01", "since 2026-10-21 is after until 2026-10-01"),
        ("limit=0", 'limit "0" is not a number from 1 to 5000'),
        ("limit=many", 'limit "many" is not a number'),
        ("stauts=open", "unknown filter stauts: the filters are status, project, metric"),
        ("status=new&status=filed", "give status once"),
    ],
)
def test_bad_filters_are_a_400_that_says_what_to_give(
    web: TestClient, query: str, message: str
) -> None:
    api = web.get(f"/api/v1/alerts?{query}")
    assert api.status_code == 400 and message in api.json()["detail"]
    page = web.get(f"/alerts?{query}")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert message in html.unescape(page.text) and '<form id="alert-filters"' in page.text


def test_an_empty_store_says_to_run_the_alerts(tmp_path: Path) -> None:
    results = tmp_path / "results"
    settings = Settings.model_validate({"engine": {"results": str(results)}})
    with local_client(create_app(settings)) as client:  # no store yet: an empty one in memory
        page = client.get("/alerts").text
        filtered = client.get("/alerts?status=open&metric=gc_ms").text
        rows = client.get("/api/v1/alerts").json()["rows"]
    assert not (results / "alerts.sqlite").exists() and rows == []
    for text in (page, filtered):
        assert (
            "No alerts yet: run <code>opwatch alerts</code> after <code>opwatch detect</code>"
            in text
        )
        assert "<table" not in text


def test_filters_matching_nothing_say_so(web: TestClient) -> None:
    page = web.get("/alerts?project=opwatch-demo&metric=nothing").text
    assert "No alerts match these filters." in page and "No alerts yet" not in page
    assert "<table" not in page


def test_a_limited_list_says_so(web: TestClient) -> None:
    page = web.get("/alerts?limit=2").text
    assert "the newest 2: narrow the filters" in page
    assert '<input type="hidden" name="limit" value="2">' in page  # kept when filtering again
    assert "narrow the filters" not in web.get("/alerts").text


def test_every_page_links_to_the_alerts(web: TestClient) -> None:
    home = web.get("/").text
    assert '<a href="/alerts">Alerts</a>' in home and 'href="/alerts?status=open"' in home
    assert '<a href="/alerts">Alerts</a>' in web.get("/alerts").text


def test_dashboard_charts_link_to_their_metrics_alerts(client: TestClient) -> None:
    page = client.get("/projects/opwatch-demo").text
    assert '<a href="/alerts">Alerts</a>' in page
    assert 'href="/alerts?project=opwatch-demo"' in page
    links = set(re.findall(r'<a class="alerts" href="([^"]+)">Alerts</a>', page))
    metrics = set(re.findall(r'<figure class="chart" data-metric="(\w+)"', page))
    assert links == {f"/alerts?project=opwatch-demo&amp;metric={m}" for m in metrics}
    metric_page = client.get("/projects/opwatch-demo/metrics/gc_ms").text
    assert 'href="/alerts?project=opwatch-demo&amp;metric=gc_ms">Alerts</a>' in metric_page


def test_the_openapi_spec_documents_the_alerts(web: TestClient) -> None:
    spec = web.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/alerts"]["get"]
    parameters = {p["name"]: p["description"] for p in operation["parameters"]}
    assert list(parameters) == ["status", "project", "metric", "since", "until", "limit"]
    assert "open (any of new, filed, emailed, unrouted)" in parameters["status"]
    assert set(operation["responses"]) >= {"200", "400"}
    row = spec["components"]["schemas"]["AlertRow"]["properties"]
    assert {"position", "status", "bug_url", "dashboard_url", "revision_range"} <= set(row)
