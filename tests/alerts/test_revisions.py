"""Build IDs and windows to revision ranges, against a fake pushlog served over loopback HTTP.

The fake answers ``json-pushes`` the way hg.mozilla.org's pushlog extension does: dates read in
the server's local time zone with both bounds exclusive, ``startID`` exclusive and ``endID``
inclusive, a date bound winning over an ID bound, the last 10 pushes without bounds, format
versions 1 and 2, ``full`` by its mere presence, and hidden changesets listed apart under
``obsoletechangesets``. Expected ranges are computed here from the fake's push list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

from opwatch.alerts.revisions import (
    PushlogResolver,
    RevisionRange,
    RevisionResolver,
    build_time,
    day_window,
)
from opwatch.errors import NotifyError
from tests.alerts.http_helpers import LoopbackServer, Received, Reply, free_port, serving


@dataclass(frozen=True)
class FakePush:
    id: int
    when: datetime
    size: int
    hidden: bool = False  # every changeset backed out and obsoleted

    @property
    def nodes(self) -> list[str]:
        return [hashlib.sha1(f"{self.id}-{k}".encode()).hexdigest() for k in range(self.size)]

    @property
    def tip(self) -> str:
        return self.nodes[-1]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, second, tzinfo=UTC)


PUSHES = [
    FakePush(1, at(19, 0, 30), 1),
    FakePush(2, at(19, 3), 2),
    FakePush(3, at(19, 9), 3),
    FakePush(4, at(19, 22), 1),
    FakePush(5, at(20, 2), 2),
    FakePush(6, at(20, 6), 1),
    FakePush(7, at(20, 7), 2, hidden=True),
    FakePush(8, at(20, 16), 4),
    FakePush(9, at(20, 23, 59, 59), 1),
    FakePush(10, at(21, 0), 2),  # exactly the end of the 20th: inside its window
    FakePush(11, at(21, 12), 3),
    FakePush(12, at(21, 20), 1, hidden=True),
    # the 22nd, 23rd and 24th are quiet
    FakePush(13, at(25, 5), 2),
    FakePush(14, at(25, 18), 1),
    FakePush(15, at(26, 1), 3),
]
BY_ID = {push.id: push for push in PUSHES}


class FakePushlog:
    """``/<repo>/json-pushes`` over ``PUSHES``, reading dates in ``server_tz``."""

    def __init__(self, server_tz: tzinfo = UTC) -> None:
        self.server_tz = server_tz

    def respond(self, request: Received) -> Reply:
        if not request.path.endswith("/json-pushes"):
            return Reply(404, b"not found", "text/plain")
        args = {name: values[-1] for name, values in request.query.items()}
        version = int(args.get("version", "1"))
        if version not in (1, 2):
            return Reply(500, b"version parameter must be 1 or 2", "text/plain")
        pushes = {str(p.id): self.render(p, "full" in args) for p in self.select(args)}
        body: Any = {"lastpushid": PUSHES[-1].id, "pushes": pushes} if version == 2 else pushes
        return Reply(200, json.dumps(body).encode())

    def select(self, args: dict[str, str]) -> list[FakePush]:
        bounded = {"startdate", "startID", "enddate", "endID"} & set(args)
        if not bounded:
            return PUSHES[-10:]
        return [
            push for push in PUSHES if self.after_start(push, args) and self.before_end(push, args)
        ]

    def after_start(self, push: FakePush, args: dict[str, str]) -> bool:
        if "startdate" in args:
            return push.when.timestamp() > self.parse_date(args["startdate"])
        return "startID" not in args or push.id > int(args["startID"])

    def before_end(self, push: FakePush, args: dict[str, str]) -> bool:
        if "enddate" in args:
            return push.when.timestamp() < self.parse_date(args["enddate"])
        return "endID" not in args or push.id <= int(args["endID"])

    def parse_date(self, text: str) -> float:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        return local.replace(tzinfo=self.server_tz).timestamp()

    @staticmethod
    def render(push: FakePush, full: bool) -> dict[str, Any]:
        nodes: list[Any] = [{"node": n, "desc": "Bug 1 - x"} if full else n for n in push.nodes]
        key = "obsoletechangesets" if push.hidden else "changesets"
        rendered: dict[str, Any] = {"user": "dev@example.org", "date": int(push.when.timestamp())}
        rendered["changesets"] = []
        rendered[key] = nodes
        return rendered


def expected_range(base_url: str, start: datetime, end: datetime) -> RevisionRange | None:
    """The answer straight from the push list: visible pushes only, by ID."""
    visible = [push for push in PUSHES if not push.hidden]
    inside = [push for push in visible if start < push.when <= end]
    if not inside:
        return None
    before = [push for push in visible if push.when <= start]
    last = inside[-1]
    if before:
        link = f"{base_url}/pushloghtml?fromchange={before[-1].tip}&tochange={last.tip}"
    else:
        link = f"{base_url}/pushloghtml?startID={inside[0].id - 1}&endID={last.id}"
    from_revision = before[-1].tip if before else None
    return RevisionRange(base_url, from_revision, last.tip, len(inside), link)


@pytest.fixture
def pushlog() -> Iterator[LoopbackServer]:
    with serving(FakePushlog().respond) as server:
        yield server


@pytest.fixture
def resolver(pushlog: LoopbackServer) -> Iterator[PushlogResolver]:
    with PushlogResolver(f"{pushlog.url}/mozilla-central/", timeout=5) as resolver:
        yield resolver


SERVER_ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=14))]
DAYS = [date(2026, 10, day) for day in range(18, 28)]


@pytest.mark.parametrize("server_tz", SERVER_ZONES, ids=["UTC", "UTC-7", "UTC+14"])
def test_every_day_matches_the_push_list(server_tz: tzinfo) -> None:
    with (
        serving(FakePushlog(server_tz).respond) as server,
        PushlogResolver(f"{server.url}/mozilla-central") as resolver,
    ):
        for day in DAYS:
            start, end = day_window(day)
            base = f"{server.url}/mozilla-central"
            assert resolver.resolve(start, end) == expected_range(base, start, end), day


def test_a_day_with_several_pushes(resolver: PushlogResolver, pushlog: LoopbackServer) -> None:
    found = resolver.resolve(at(20, 0), at(21, 0))
    inside = [BY_ID[i] for i in (5, 6, 8, 9, 10)]  # 7 is hidden; 10 lands on the end itself
    assert found is not None
    assert found.repository == f"{pushlog.url}/mozilla-central"
    assert (found.from_revision, found.to_revision) == (BY_ID[4].tip, inside[-1].tip)
    assert found.pushes == len(inside)
    assert found.url == (
        f"{pushlog.url}/mozilla-central/pushloghtml"
        f"?fromchange={BY_ID[4].tip}&tochange={BY_ID[10].tip}"
    )
    assert len(pushlog.received) == 1, "the widened date query also holds the push before"


def test_a_hidden_last_push_leaves_the_tip_of_the_one_before(resolver: PushlogResolver) -> None:
    found = resolver.resolve(at(21, 0), at(22, 0))
    assert found is not None
    assert (found.from_revision, found.to_revision, found.pushes) == (
        BY_ID[10].tip,
        BY_ID[11].tip,
        1,
    )


def test_a_quiet_day_before_asks_by_push_id(
    resolver: PushlogResolver, pushlog: LoopbackServer
) -> None:
    found = resolver.resolve(at(25, 0), at(26, 0))
    assert found is not None
    assert (found.from_revision, found.to_revision, found.pushes) == (
        BY_ID[11].tip,
        BY_ID[14].tip,
        2,
    )
    by_id = pushlog.received[-1].query
    assert (by_id["startID"], by_id["endID"]) == (["2"], ["12"])


def test_the_first_pushes_ever(resolver: PushlogResolver, pushlog: LoopbackServer) -> None:
    found = resolver.resolve(at(18, 12), at(19, 12))
    assert found is not None
    assert (found.from_revision, found.to_revision, found.pushes) == (None, BY_ID[3].tip, 3)
    assert found.url == f"{pushlog.url}/mozilla-central/pushloghtml?startID=0&endID=3"


def test_no_push_in_the_window(resolver: PushlogResolver) -> None:
    assert resolver.resolve(*day_window(date(2026, 10, 23))) is None
    assert resolver.resolve(at(21, 20, 0, 1), at(22, 0)) is None


def test_answers_are_cached_per_window(resolver: PushlogResolver, pushlog: LoopbackServer) -> None:
    first = resolver.resolve(at(20, 0), at(21, 0))
    again = resolver.resolve(at(20, 0).astimezone(timezone(timedelta(hours=2))), at(21, 0))
    assert first == again
    assert len(pushlog.received) == 1


def test_is_a_revision_resolver(resolver: PushlogResolver) -> None:
    typed: RevisionResolver = resolver
    assert typed.resolve(*day_window(date(2026, 10, 22))) is None


def test_bad_windows(resolver: PushlogResolver) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        resolver.resolve(datetime(2026, 10, 20), at(21, 0))
    with pytest.raises(ValueError, match="not after start"):
        resolver.resolve(at(21, 0), at(21, 0))


def test_build_time() -> None:
    assert build_time("20261023094512") == datetime(2026, 10, 23, 9, 45, 12, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["2026102309451", "20261323094512", "2026-10-23", "", "x" * 14])
def test_bad_build_ids_say_the_expected_form(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYYMMDDhhmmss") as caught:
        build_time(bad)
    assert repr(bad) in str(caught.value)


def test_day_window() -> None:
    start, end = day_window(date(2026, 10, 23))
    assert start == datetime(2026, 10, 23, tzinfo=UTC)
    assert end == datetime(2026, 10, 24, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("reply", "match", "status"),
    [
        (Reply(200, b"<html>hgweb</html>", "text/html"), "not JSON", None),
        (Reply(200, b'{"lastpushid": 3}'), '"pushes"', None),
        (Reply(200, b'{"pushes": {"7": {"date": "yesterday"}}}'), "numeric date", None),
        (Reply(200, b'{"pushes": {"7": {"date": 1, "changesets": [7]}}}'), "node", None),
        (Reply(404, b"repository not found", "text/plain"), "repository not found", 404),
    ],
)
def test_bad_answers_are_notify_errors(reply: Reply, match: str, status: int | None) -> None:
    with (
        serving(lambda request: reply) as server,
        PushlogResolver(f"{server.url}/mozilla-central") as resolver,
        pytest.raises(NotifyError, match=match) as caught,
    ):
        resolver.resolve(at(20, 0), at(21, 0))
    assert (caught.value.service, caught.value.status) == ("pushlog", status)


def test_unreachable_pushlog() -> None:
    url = f"http://127.0.0.1:{free_port()}/mozilla-central"
    with (
        PushlogResolver(url, timeout=2) as resolver,
        pytest.raises(NotifyError, match="could not reach") as caught,
    ):
        resolver.resolve(at(20, 0), at(21, 0))
    assert caught.value.status is None
