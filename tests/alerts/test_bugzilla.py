"""The Bugzilla client against a fake Bugzilla over real HTTP: what the client sends must be
what the server stores, and what the server holds must be what the client reads back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import httpx
import pytest

from opwatch.alerts.bugzilla import Bug, BugzillaClient
from opwatch.errors import NotifyError
from tests.alerts.bugzilla_server import FakeBugzilla

KEY = "secret-key"
OWNER = "owner@example.com"


@pytest.fixture
def client(bugzilla: FakeBugzilla) -> Iterator[BugzillaClient]:
    with BugzillaClient(bugzilla.url, KEY, timeout=5) as bugzilla_client:
        yield bugzilla_client


def file_bug(client: BugzillaClient, **fields: Any) -> int:
    """File a bug with defaults for every field the test does not care about."""
    defaults: dict[str, Any] = {
        "product": "Firefox",
        "component": "General",
        "summary": "gc_ms regressed",
        "description": "The median of gc_ms went up by 12 %.",
    }
    return client.create(**{**defaults, **fields})


def as_bug(stored: dict[str, Any]) -> Bug:
    """What the client should read for a bug the server stores."""
    return Bug(
        id=stored["id"],
        status=stored["status"],
        resolution=stored["resolution"],
        summary=stored["summary"],
        keywords=tuple(stored["keywords"]),
        whiteboard=stored["whiteboard"],
        needinfo=tuple(
            flag["requestee"]
            for flag in stored["flags"]
            if flag["name"] == "needinfo" and flag["status"] == "?"
        ),
    )


def test_create_with_needinfo_stores_the_bug_flag_and_description(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = client.create(
        product="Firefox",
        component="Telemetry",
        summary="gc_ms regressed on Windows",
        description="Detected on 2026-10-10 by opwatch.",
        keywords=["perf-alert", "regression"],
        whiteboard="[opwatch:gc-1]",
        needinfo=OWNER,
        bug_type="task",
        version="130 Branch",
    )

    stored = bugzilla.bugs[bug_id]
    assert bugzilla.requests == [("POST", "/rest/bug")]
    assert (stored["product"], stored["component"], stored["version"], stored["type"]) == (
        "Firefox",
        "Telemetry",
        "130 Branch",
        "task",
    )
    assert stored["summary"] == "gc_ms regressed on Windows"
    assert stored["keywords"] == ["perf-alert", "regression"]
    assert stored["whiteboard"] == "[opwatch:gc-1]"
    assert [(f["name"], f["status"], f["requestee"]) for f in stored["flags"]] == [
        ("needinfo", "?", OWNER)
    ]
    assert [(c["count"], c["text"]) for c in stored["comments"]] == [
        (0, "Detected on 2026-10-10 by opwatch.")
    ]
    assert client.get(bug_id) == as_bug(stored)
    assert client.get(bug_id).needinfo == (OWNER,)


def test_create_without_needinfo_sets_no_flag(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client)

    assert bugzilla.bugs[bug_id]["flags"] == []
    assert bugzilla.bugs[bug_id]["version"] == "unspecified"
    assert bugzilla.bugs[bug_id]["type"] == "defect"
    assert client.get(bug_id).needinfo == ()
    assert client.get(bug_id).resolution == ""


def test_search_by_keywords_needs_every_keyword(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    both = file_bug(client, keywords=["perf-alert", "regression"])
    one = file_bug(client, keywords=["perf-alert"])
    file_bug(client, keywords=["regression"])
    file_bug(client)

    found = client.search(keywords=["perf-alert", "regression"])
    assert found == [as_bug(bugzilla.bugs[both])]
    assert [bug.id for bug in client.search(keywords=["perf-alert"])] == [both, one]


def test_search_by_whiteboard_matches_a_substring(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    tagged = file_bug(client, whiteboard="[qf] [opwatch:gc-1] [other]")
    other = file_bug(client, whiteboard="[opwatch:gc-2]")
    file_bug(client, whiteboard="")

    assert client.search(whiteboard="[opwatch:gc-1]") == [as_bug(bugzilla.bugs[tagged])]
    assert [bug.id for bug in client.search(whiteboard="opwatch:gc")] == [tagged, other]
    assert client.search(whiteboard="[opwatch:gc-3]") == []


def test_search_by_product_and_component(client: BugzillaClient) -> None:
    wanted = file_bug(client, product="Toolkit", component="Telemetry")
    file_bug(client, product="Toolkit", component="General")
    file_bug(client, product="Firefox", component="Telemetry")

    found = client.search(product="Toolkit", component="Telemetry")
    assert [bug.id for bug in found] == [wanted]


def test_open_only_search_leaves_resolved_bugs_out(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    still_open = file_bug(client, whiteboard="[opwatch:gc-1]")
    fixed = file_bug(client, whiteboard="[opwatch:gc-1]")
    bugzilla.resolve(fixed, "FIXED")

    assert client.search(whiteboard="[opwatch:gc-1]", resolved=False) == [
        as_bug(bugzilla.bugs[still_open])
    ]
    assert client.search(whiteboard="[opwatch:gc-1]", resolved=True) == [
        as_bug(bugzilla.bugs[fixed])
    ]
    assert [bug.id for bug in client.search(whiteboard="[opwatch:gc-1]")] == [still_open, fixed]


def test_get_many_keeps_the_order_asked_and_leaves_unknown_bugs_out(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    first, second = file_bug(client), file_bug(client, summary="uri_count dropped")

    bugs = client.get_many([second, 99_999, first, second])

    assert bugs == [as_bug(bugzilla.bugs[second]), as_bug(bugzilla.bugs[first])]
    assert bugzilla.requests[-1][0] == "GET"
    assert f"id={second}%2C99999%2C{first}" in bugzilla.requests[-1][1]


def test_get_many_of_nothing_sends_no_request(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    assert client.get_many([]) == []
    assert bugzilla.requests == []


def test_update_changes_what_the_server_holds(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client, keywords=["perf-alert"], whiteboard="[opwatch:gc-1]")

    client.update(
        bug_id,
        status="ASSIGNED",
        whiteboard="[opwatch:gc-1] [triaged]",
        keywords={"add": ["regression"], "remove": ["perf-alert"]},
        summary="gc_ms regressed by 12 %",
    )

    stored = bugzilla.bugs[bug_id]
    assert stored["status"] == "ASSIGNED"
    assert stored["whiteboard"] == "[opwatch:gc-1] [triaged]"
    assert stored["keywords"] == ["regression"]
    assert client.get(bug_id) == as_bug(stored)
    assert bugzilla.requests[-2] == ("PUT", f"/rest/bug/{bug_id}")


def test_closing_through_update_is_read_back(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client)

    client.update(bug_id, status="RESOLVED", resolution="INVALID")

    assert (bugzilla.bugs[bug_id]["status"], bugzilla.bugs[bug_id]["resolution"]) == (
        "RESOLVED",
        "INVALID",
    )
    assert client.search(resolved=False) == []


def test_comment_is_added_after_the_description(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client)

    comment_id = client.comment(bug_id, "The regression grew to 20 %.")

    comments = bugzilla.bugs[bug_id]["comments"]
    assert [(c["count"], c["text"]) for c in comments][1:] == [(1, "The regression grew to 20 %.")]
    assert comment_id == comments[1]["id"]
    assert comment_id != comments[0]["id"]


def test_needinfo_adds_a_requestee_and_keeps_the_first(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client, needinfo=OWNER)

    client.needinfo(bug_id, "second@example.com")

    requestees = [flag["requestee"] for flag in bugzilla.bugs[bug_id]["flags"]]
    assert requestees == [OWNER, "second@example.com"]
    assert client.get(bug_id).needinfo == (OWNER, "second@example.com")


def test_needinfo_lists_open_needinfo_flags_only(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client, needinfo=OWNER)
    review = {"name": "qe-verify", "status": "?", "requestee": "qa@example.com"}
    client.update(bug_id, flags=[review])
    assert client.get(bug_id).needinfo == (OWNER,)

    client.update(bug_id, flags=[{"name": "needinfo", "status": "X"}])

    assert [flag["name"] for flag in bugzilla.bugs[bug_id]["flags"]] == ["qe-verify"]
    assert client.get(bug_id).needinfo == ()


@pytest.mark.parametrize("resolution", ["FIXED", "WONTFIX", "INVALID", "WORKSFORME"])
def test_a_resolution_made_on_the_server_is_read_back(
    client: BugzillaClient, bugzilla: FakeBugzilla, resolution: str
) -> None:
    bug_id = file_bug(client)
    assert (client.get(bug_id).status, client.get(bug_id).resolution) == ("NEW", "")

    bugzilla.resolve(bug_id, resolution)

    assert (client.get(bug_id).status, client.get(bug_id).resolution) == ("RESOLVED", resolution)


def test_the_api_key_travels_in_a_header_only(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client)
    client.get(bug_id)
    client.search(keywords=["perf-alert"])

    assert len(bugzilla.requests) == 3
    assert not any(KEY in target for _, target in bugzilla.requests)


def test_a_wrong_api_key_is_a_401_that_does_not_show_the_key(bugzilla: FakeBugzilla) -> None:
    wrong_key = "wrong-key-3f9a"
    with BugzillaClient(bugzilla.url, wrong_key) as client, pytest.raises(NotifyError) as error:
        file_bug(client)

    assert (error.value.service, error.value.status) == ("bugzilla", 401)
    message = str(error.value)
    assert wrong_key not in message
    assert KEY not in message
    assert "The API key you specified is invalid" in message
    assert "alerts.bugzilla.api_key" in message
    assert f"POST {bugzilla.url}/rest/bug" in message
    assert bugzilla.bugs == {}


def test_a_missing_api_key_is_a_401(bugzilla: FakeBugzilla) -> None:
    with BugzillaClient(bugzilla.url) as client, pytest.raises(NotifyError) as error:
        client.search(keywords=["perf-alert"])

    assert error.value.status == 401


def test_an_unknown_bug_is_a_404(client: BugzillaClient, bugzilla: FakeBugzilla) -> None:
    with pytest.raises(NotifyError) as error:
        client.get(4242)

    assert error.value.status == 404
    assert "Bug #4242 does not exist" in str(error.value)
    assert "Bugzilla error 101" in str(error.value)
    assert f"GET {bugzilla.url}/rest/bug/4242" in str(error.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.comment(4242, "text"),
        lambda client: client.needinfo(4242, OWNER),
        lambda client: client.update(4242, whiteboard="x"),
    ],
    ids=["comment", "needinfo", "update"],
)
def test_changing_an_unknown_bug_is_a_404(client: BugzillaClient, call: Any) -> None:
    with pytest.raises(NotifyError) as error:
        call(client)

    assert error.value.status == 404


def test_a_server_that_is_down_is_an_error_without_status() -> None:
    with FakeBugzilla() as stopped:
        url = stopped.url
    with BugzillaClient(url, KEY, timeout=5) as client, pytest.raises(NotifyError) as error:
        client.get(1)

    assert error.value.status is None
    assert f"GET {url}/rest/bug/1" in str(error.value)
    assert "alerts.bugzilla.url" in str(error.value)


def test_a_missing_product_surfaces_what_bugzilla_said(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    with pytest.raises(NotifyError) as error:
        file_bug(client, product="")

    assert error.value.status == 400
    assert "You must specify a product for this bug." in str(error.value)
    assert "product, component and version" in str(error.value)
    assert bugzilla.bugs == {}


def test_a_refused_update_changes_nothing(client: BugzillaClient, bugzilla: FakeBugzilla) -> None:
    bug_id = file_bug(client, whiteboard="[opwatch:gc-1]")

    with pytest.raises(NotifyError) as error:
        client.update(bug_id, whiteboard="[changed]", resolution="FIXED")

    assert error.value.status == 400
    assert "resolution on an open bug" in str(error.value)
    assert bugzilla.bugs[bug_id]["whiteboard"] == "[opwatch:gc-1]"


def test_a_timeout_is_an_error_without_status() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    transport = httpx.MockTransport(hang)
    client = BugzillaClient("https://bugzilla.test", KEY, timeout=2, transport=transport)
    with client, pytest.raises(NotifyError) as error:
        client.get(7)

    assert error.value.status is None
    assert "no answer within 2 s" in str(error.value)


def test_a_proxy_error_page_is_reported_with_its_status() -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-BUGZILLA-API-KEY"] == KEY
        assert request.headers["User-Agent"].startswith("opwatch/")
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    transport = httpx.MockTransport(proxy)
    client = BugzillaClient("https://bugzilla.test/", KEY, transport=transport)
    with client, pytest.raises(NotifyError) as error:
        client.comment(7, "text")

    assert error.value.status == 502
    assert "POST https://bugzilla.test/rest/bug/7/comment" in str(error.value)
    assert "Bad Gateway" in str(error.value)
    assert "retry later" in str(error.value)


def test_a_server_echoing_the_key_does_not_leak_it() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        key = request.headers["X-BUGZILLA-API-KEY"]
        return httpx.Response(401, json={"error": True, "code": 306, "message": f"bad {key}"})

    transport = httpx.MockTransport(echo)
    client = BugzillaClient("https://bugzilla.test", KEY, transport=transport)
    with client, pytest.raises(NotifyError) as error:
        client.get(7)

    assert KEY not in str(error.value)
    assert "bad [api key]" in str(error.value)


def test_the_fake_answers_in_bugzilla_shapes(
    client: BugzillaClient, bugzilla: FakeBugzilla
) -> None:
    bug_id = file_bug(client, keywords=["perf-alert"])
    needinfo = {"name": "needinfo", "status": "?", "requestee": OWNER}
    with httpx.Client(base_url=bugzilla.url, headers={"X-BUGZILLA-API-KEY": KEY}) as raw:
        update = raw.put(
            f"/rest/bug/{bug_id}", json={"keywords": {"add": ["regression"]}, "flags": [needinfo]}
        )
        misspelt = raw.get("/rest/bug", params={"keyword": "perf-alert"})

    assert update.json() == {
        "bugs": [
            {
                "id": bug_id,
                "alias": [],
                "changes": {
                    "keywords": {"added": "regression", "removed": ""},
                    "flagtypes.name": {"added": f"needinfo?({OWNER})", "removed": ""},
                },
                "last_change_time": ANY,
            }
        ]
    }
    assert misspelt.status_code == 400
    assert misspelt.json() == {"error": True, "code": 32000, "message": ANY, "documentation": ANY}
