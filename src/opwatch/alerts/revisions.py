"""Build IDs and dates to the range of changes to look at, from Mozilla's Mercurial pushlog.

An alert names the changes pushed between the last good point and the first bad point: for a
window ``(start, end]`` that is from the tip of the last push at or before ``start`` to the tip
of the last push at or before ``end``.

How ``PushlogResolver`` asks ``json-pushes``, and why:

* The pushlog reads ``startdate``/``enddate`` in the *server's* local time zone, and both bounds
  are exclusive. So the first request asks for a day more on each side than the window and
  filters on each push's Unix ``date``, which has no time zone. That one answer holds the
  window's pushes and, unless the repository was quiet for the whole day before ``start``,
  the last push before it as well.
* Only when it does not, a second request asks for the few pushes just before the window's
  first one by push ID (``startID`` exclusive, ``endID`` inclusive), which needs no dates.
* Pushes whose changesets are all hidden (backed out and obsoleted) list no changesets and are
  skipped: there is nothing in them to look at.

Answers are cached per ``(start, end)`` for the resolver's lifetime: one run asks about the same
few windows for many metrics.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from opwatch.alerts.http_client import PooledClient
from opwatch.errors import NotifyError

__all__ = [
    "PushlogResolver",
    "RevisionRange",
    "RevisionResolver",
    "build_time",
    "day_window",
]

log = logging.getLogger("opwatch.alerts")

_SERVICE = "pushlog"
# Widening of the date query on each side: covers any server time zone (UTC-12 to UTC+14).
_MARGIN = timedelta(days=1)
# Push IDs asked for before the window's first push when the date query found none before it.
_LOOKBACK = 10
_BUILD_ID = re.compile(r"[0-9]{14}")
_EXCERPT_CHARS = 200


@dataclass(frozen=True)
class RevisionRange:
    """The changes to look at for an alert, and a link to read them."""

    repository: str
    from_revision: str | None
    to_revision: str
    pushes: int
    url: str


class RevisionResolver(Protocol):
    """Anything that turns a time window into the revisions pushed in it."""

    def resolve(self, start: datetime, end: datetime) -> RevisionRange | None:
        """The range for pushes in ``(start, end]``; ``None`` when nothing was pushed."""
        ...


def build_time(build_id: str) -> datetime:
    """When a build was made, from its build ID (``YYYYMMDDhhmmss``, UTC)."""
    if _BUILD_ID.fullmatch(build_id):
        try:
            return datetime.strptime(build_id, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass  # fourteen digits that are no date, such as month 13: same message below
    raise ValueError(
        f"build id {build_id!r} is not a build date: expected 14 digits YYYYMMDDhhmmss "
        "(UTC), such as 20261023094512"
    )


def day_window(day: date) -> tuple[datetime, datetime]:
    """The UTC day as a window: from its midnight to the next, the 24 h before its end."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class _Push:
    """One push as the resolver needs it: its ID, when it landed and its newest changeset."""

    id: int
    date: datetime
    tip: str


class PushlogResolver(PooledClient):
    """Resolves windows against one repository's pushlog, such as
    ``https://hg.mozilla.org/mozilla-central``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._cache: dict[tuple[datetime, datetime], RevisionRange | None] = {}

    def resolve(self, start: datetime, end: datetime) -> RevisionRange | None:
        """The range for pushes in ``(start, end]``; ``None`` when nothing was pushed."""
        window = (_as_utc(start, "start"), _as_utc(end, "end"))
        if window[1] <= window[0]:
            raise ValueError(
                f"resolve: end {end.isoformat()} is not after start {start.isoformat()}"
            )
        if window not in self._cache:
            self._cache[window] = self._resolve(*window)
        return self._cache[window]

    def _resolve(self, start: datetime, end: datetime) -> RevisionRange | None:
        """Ask the pushlog (once, rarely twice) and pick the pushes around the window."""
        nearby = self._pushes_between(start - _MARGIN, end + _MARGIN)
        inside = [push for push in nearby if start < push.date <= end]
        log.debug("%s: %d pushes in (%s, %s]", self.base_url, len(inside), start, end)
        if not inside:
            return None
        before = _last_at_or_before(nearby, start) or self._push_before(inside[0].id, start)
        return self._range(before, inside)

    def _pushes_between(self, after: datetime, before: datetime) -> list[_Push]:
        """Pushes strictly between two instants, as the server's time zone reads them."""
        return self._fetch({"startdate": _pushlog_date(after), "enddate": _pushlog_date(before)})

    def _push_before(self, push_id: int, start: datetime) -> _Push | None:
        """The last push before ``push_id`` that landed at or before ``start``, by push ID."""
        if push_id <= 1:
            return None
        earlier = self._fetch({"startID": max(push_id - 1 - _LOOKBACK, 0), "endID": push_id - 1})
        return _last_at_or_before(earlier, start)

    def _range(self, before: _Push | None, inside: list[_Push]) -> RevisionRange:
        """The alert's range: after ``before``'s tip, up to the tip of the window's last push."""
        last = inside[-1]
        if before is None:  # the window holds the first pushes ever: link them by push ID
            query: dict[str, str | int] = {"startID": inside[0].id - 1, "endID": last.id}
        else:
            query = {"fromchange": before.tip, "tochange": last.tip}
        return RevisionRange(
            repository=self.base_url,
            from_revision=before.tip if before else None,
            to_revision=last.tip,
            pushes=len(inside),
            url=f"{self.base_url}/pushloghtml?{urlencode(query)}",
        )

    def _fetch(self, query: dict[str, str | int]) -> list[_Push]:
        """GET ``json-pushes`` (format version 2) and parse the pushes, oldest first."""
        url = f"{self.base_url}/json-pushes"
        try:
            response = self._client.get(url, params={"version": 2, **query})
        except httpx.HTTPError as error:
            raise NotifyError(
                f"could not reach {url}: {str(error) or type(error).__name__}; "
                "check the repository URL and the network",
                service=_SERVICE,
            ) from error
        if not response.is_success:
            raise _refused(response, self.base_url)
        return _parse_pushes(_json_body(response), str(response.url))


def _as_utc(moment: datetime, name: str) -> datetime:
    """The same instant in UTC; a naive datetime is refused rather than guessed at."""
    if moment.utcoffset() is None:
        raise ValueError(
            f"resolve: {name} {moment.isoformat()} has no time zone; "
            "pass an aware datetime such as datetime(..., tzinfo=UTC)"
        )
    return moment.astimezone(UTC)


def _pushlog_date(moment: datetime) -> str:
    """The ``YYYY-MM-DD HH:MM:SS`` form the pushlog's date parameters accept."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _last_at_or_before(pushes: list[_Push], moment: datetime) -> _Push | None:
    """The push with the highest ID among those that landed at or before ``moment``."""
    earlier = [push for push in pushes if push.date <= moment]
    return earlier[-1] if earlier else None


def _refused(response: httpx.Response, base_url: str) -> NotifyError:
    """A non-2xx answer: its status, the start of its body and what to check."""
    body = " ".join(response.text[:_EXCERPT_CHARS].split())
    return NotifyError(
        f"{response.url} answered {response.status_code} {response.reason_phrase}: {body!r}; "
        f"check that {base_url} is a Mercurial repository with the pushlog extension",
        service=_SERVICE,
        status=response.status_code,
    )


def _json_body(response: httpx.Response) -> Any:
    """The decoded JSON of a pushlog answer."""
    try:
        return response.json()
    except ValueError as error:
        raise _malformed(str(response.url), f"the answer is not JSON ({error})") from error


def _parse_pushes(body: object, url: str) -> list[_Push]:
    """The pushes of a version 2 answer that still show changesets, sorted by push ID."""
    pushes = body.get("pushes") if isinstance(body, dict) else None
    if not isinstance(pushes, dict):
        raise _malformed(url, 'the answer has no "pushes" object (a version 2 answer has)')
    parsed = (_parse_push(push_id, push, url) for push_id, push in pushes.items())
    return sorted((push for push in parsed if push is not None), key=lambda push: push.id)


def _parse_push(push_id: str, push: object, url: str) -> _Push | None:
    """One push; ``None`` when every changeset of it is hidden."""
    if not (push_id.isdigit() and isinstance(push, dict) and _is_timestamp(push.get("date"))):
        raise _malformed(url, f"push {push_id!r} is not an object with a numeric date")
    changesets = push.get("changesets", [])
    if not isinstance(changesets, list):
        raise _malformed(url, f'push {push_id!r} has no "changesets" list')
    if not changesets:
        return None
    when = datetime.fromtimestamp(push["date"], UTC)
    return _Push(int(push_id), when, _node(changesets[-1], push_id, url))


def _node(changeset: object, push_id: str, url: str) -> str:
    """A changeset's node: a plain string, or the ``node`` of a ``full=1`` object."""
    node = changeset.get("node") if isinstance(changeset, dict) else changeset
    if not isinstance(node, str):
        raise _malformed(url, f"push {push_id!r} lists a changeset without a node")
    return node


def _is_timestamp(value: object) -> bool:
    """A Unix time in seconds (JSON numbers only; ``true`` is no date)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _malformed(url: str, problem: str) -> NotifyError:
    """An answer that is not the pushlog's JSON: say where, what is wrong and what to check."""
    return NotifyError(
        f"{url}: {problem}; check that the URL is a Mercurial repository serving json-pushes",
        service=_SERVICE,
    )
