"""The filters of the Alerts page and of ``/api/v1/alerts``: read from the query string,
checked (a bad value is a 400 that says what to give instead), as the alert store's
:class:`~opwatch.alerts.store.AlertQuery`.

The page and the API take the same parameters, so that a page's URL and its JSON agree:
``status`` (a status, or ``open`` for any status still waiting on someone), ``project``,
``metric``, ``since`` and ``until`` (the day of the manager run that created the alert,
inclusive) and ``limit``. An empty value (a form's "any") is no filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from starlette.datastructures import QueryParams

from opwatch.alerts.model import OPEN_STATUSES, RESOLUTIONS
from opwatch.alerts.store import DEFAULT_LIMIT, OPEN, AlertQuery
from opwatch.results.models import InvalidQueryError

STATUSES = (*OPEN_STATUSES, *RESOLUTIONS.values(), "resolved")
"""Every status an alert can have: waiting on someone first, then the resolutions."""
MAX_LIMIT = 5000
FILTER_NAMES = ("status", "project", "metric", "since", "until", "limit")
"""The fields of :class:`AlertQuery` a URL may set (not ``bug_id``: the page links bugs)."""


def parse_filters(values: Mapping[str, str | None]) -> AlertQuery:
    """The query of raw filter values; InvalidQueryError names the first bad one."""
    given = {name: _given(values.get(name)) for name in FILTER_NAMES}
    since, until = _day("since", given["since"]), _day("until", given["until"])
    if since and until and since > until:
        raise InvalidQueryError(f"since {since} is after until {until}: swap them")
    return AlertQuery(
        status=_status(given["status"]),
        project=given["project"],
        metric=given["metric"],
        since=since,
        until=until,
        limit=_limit(given["limit"]),
    )


def filters_of(params: QueryParams) -> AlertQuery:
    """The query of a request's query string: only known names, each at most once."""
    check_names(params)
    return parse_filters(params)


def filter_params(query: AlertQuery) -> dict[str, str]:
    """The filters of ``query`` that are set, as query parameters (the page's and API's URL;
    empty when nothing narrows the list)."""
    values = {name: getattr(query, name) for name in FILTER_NAMES}
    if query.limit == DEFAULT_LIMIT:
        del values["limit"]
    return {name: str(value) for name, value in values.items() if value is not None}


def check_names(params: QueryParams) -> None:
    """Refuse a misspelt filter (it would silently list everything) and a repeated one."""
    unknown = sorted(set(params) - set(FILTER_NAMES))
    if unknown:
        known = ", ".join(FILTER_NAMES)
        raise InvalidQueryError(f"unknown filter {', '.join(unknown)}: the filters are {known}")
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise InvalidQueryError(f"give {', '.join(repeated)} once: one value per filter")


def _given(value: str | None) -> str | None:
    return value or None


def _status(value: str | None) -> str | None:
    if value is None or value in (OPEN, *STATUSES):
        return value
    choices = ", ".join((OPEN, *STATUSES))
    raise InvalidQueryError(f'unknown status "{value}": give one of {choices}, or none for any')


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidQueryError(f'{name} "{value}" is not a date: give YYYY-MM-DD') from None


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    # isdecimal() alone admits other scripts' digits, and int() of thousands of them is slow
    digits = value.isascii() and value.isdecimal() and len(value) <= len(str(MAX_LIMIT))
    if not digits or not 1 <= int(value) <= MAX_LIMIT:
        shown = value if len(value) <= 20 else f"{value[:20]}…"
        raise InvalidQueryError(f'limit "{shown}" is not a number from 1 to {MAX_LIMIT}')
    return int(value)
