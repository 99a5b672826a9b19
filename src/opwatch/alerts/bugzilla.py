"""A small typed client over Bugzilla's REST API (Bugzilla 5, bugzilla.mozilla.org).

The alert manager files one bug per group of alerts, needinfos the metric's owner, comments,
reads resolutions back and, after a crash, finds its bugs again by whiteboard tag or keyword.
Every failure becomes a :class:`~opwatch.errors.NotifyError` naming the request, what Bugzilla
answered and what to check; the API key never appears in one.

Protocol: https://bmo.readthedocs.io/en/latest/api/core/v1/bug.html
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import httpx

from opwatch import __version__
from opwatch.alerts.http_client import PooledClient
from opwatch.config.alert_settings import AlertSettings
from opwatch.errors import NotifyError

__all__ = ["Bug", "BugzillaClient"]

_BUG_FIELDS = "id,status,resolution,summary,keywords,whiteboard,flags"
"""The fields every read asks for (``include_fields``): what :class:`Bug` holds."""

_OPEN_RESOLUTION = "---"
"""How Bugzilla's search spells the empty resolution of an open bug."""

_Answer = TypeVar("_Answer")

_FIXES: Mapping[int, str] = {
    400: "check alerts.bugzilla's product, component and version, and the fields sent",
    401: "check the API key in the environment variable alerts.bugzilla.api_key_env names "
    "(a valid key of the account that files the bugs)",
    403: "check that the account of the API key may edit bugs in this product",
    404: "check the bug id, and that alerts.bugzilla.url is the Bugzilla root without /rest",
}
"""What to check, by HTTP status of a refused request."""


@dataclass(frozen=True)
class Bug:
    """The part of a bug the alert manager acts on: is it open, what does it carry, who owes
    an answer. ``resolution`` is ``""`` while the bug is open; ``needinfo`` lists the
    requestees of the open (``?``) needinfo flags."""

    id: int
    status: str
    resolution: str
    summary: str
    keywords: tuple[str, ...]
    whiteboard: str
    needinfo: tuple[str, ...]


class BugzillaClient(PooledClient):
    """Bugzilla's ``/rest/bug`` endpoints over one ``httpx.Client``; close it when done.
    ``base_url`` is the Bugzilla root (``https://bugzilla.mozilla.org``); the key travels in
    the ``X-BUGZILLA-API-KEY`` header, never in a URL."""

    name: ClassVar[str] = "bugzilla"

    @classmethod
    def from_settings(cls, alerts: AlertSettings) -> list[BugzillaClient]:
        """The client of ``[alerts.bugzilla]`` (its API key from the environment variable the
        settings name), or none."""
        if alerts.bugzilla is None:
            return []
        return [cls(alerts.bugzilla.url, os.environ.get(alerts.bugzilla.api_key_env))]

    @property
    def target(self) -> str:
        """The tracker's base URL."""
        return str(self._client.base_url)

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._timeout = timeout
        headers = {"User-Agent": f"opwatch/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["X-BUGZILLA-API-KEY"] = api_key
        root = base_url.rstrip("/") + "/rest"
        self._client = httpx.Client(
            base_url=root, headers=headers, timeout=timeout, transport=transport
        )

    def create(
        self,
        *,
        product: str,
        component: str,
        summary: str,
        description: str,
        keywords: Sequence[str] = (),
        whiteboard: str = "",
        needinfo: str | None = None,
        bug_type: str = "defect",
        version: str = "unspecified",
    ) -> int:
        """File a bug, the description as its comment 0 and the needinfo set at once (so the
        owner gets one mail, not two); returns the new bug's id."""
        body: dict[str, Any] = {
            "product": product,
            "component": component,
            "summary": summary,
            "description": description,
            "version": version,
            "type": bug_type,
            "keywords": list(keywords),
            "whiteboard": whiteboard,
        }
        if needinfo:
            body["flags"] = [_needinfo_flag(needinfo)]
        return self._request("POST", "/bug", _read_id, body=body)

    def get(self, bug_id: int) -> Bug:
        """One bug; an unknown or hidden bug is a NotifyError (status 404 or 401)."""
        fields = {"include_fields": _BUG_FIELDS}
        bugs = self._request("GET", f"/bug/{bug_id}", _read_bugs, params=fields)
        if not bugs:
            raise self._error(f"GET /rest/bug/{bug_id}: Bugzilla answered no bug; check the id")
        return bugs[0]

    def get_many(self, bug_ids: Sequence[int]) -> list[Bug]:
        """The bugs of ``bug_ids`` in one request, in that order; bugs Bugzilla does not show
        (unknown, or private to this account) are left out."""
        wanted = list(dict.fromkeys(bug_ids))
        if not wanted:
            return []
        ids = ",".join(str(bug_id) for bug_id in wanted)
        params = {"id": ids, "include_fields": _BUG_FIELDS}
        found = {bug.id: bug for bug in self._request("GET", "/bug", _read_bugs, params=params)}
        return [found[bug_id] for bug_id in wanted if bug_id in found]

    def search(
        self,
        *,
        keywords: Sequence[str] = (),
        whiteboard: str | None = None,
        product: str | None = None,
        component: str | None = None,
        resolved: bool | None = None,
    ) -> list[Bug]:
        """Bugs carrying every keyword and the whiteboard words (as substrings); ``resolved``
        False keeps open bugs only, True resolved ones only, None both."""
        terms = _search_terms(keywords, whiteboard, product, component, resolved)
        params = [("include_fields", _BUG_FIELDS), *terms]
        return self._request("GET", "/bug", _read_bugs, params=params)

    def update(self, bug_id: int, **fields: object) -> None:
        """Change fields as Bugzilla's update takes them (``status``, ``resolution``,
        ``whiteboard``, ``keywords={"add": [...]}``, ``flags``, ``comment={"body": ...}``)."""
        self._request("PUT", f"/bug/{bug_id}", _read_nothing, body=fields)

    def comment(self, bug_id: int, text: str) -> int:
        """Add a public comment; returns its id."""
        return self._request("POST", f"/bug/{bug_id}/comment", _read_id, body={"comment": text})

    def needinfo(self, bug_id: int, requestee: str) -> None:
        """Ask ``requestee`` for information. The flag is marked new: without that Bugzilla
        would hand an existing needinfo of someone else over to ``requestee``."""
        self.update(bug_id, flags=[{**_needinfo_flag(requestee), "new": True}])

    def _request(
        self,
        method: str,
        path: str,
        read: Callable[[dict[str, Any]], _Answer],
        *,
        params: Any = None,
        body: Any = None,
    ) -> _Answer:
        """Send one request and ``read`` Bugzilla's answer; any failure is a NotifyError."""
        request = self._client.build_request(method, path, params=params, json=body)
        where = f"{method} {request.url}"
        answer = self._answer(self._send(request, where), where)
        try:
            return read(answer)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._error(f"{where}: unexpected answer ({exc!r}); is it Bugzilla?") from exc

    def _send(self, request: httpx.Request, where: str) -> httpx.Response:
        """Send; a timeout or a network failure is a NotifyError without status."""
        try:
            return self._client.send(request)
        except httpx.TimeoutException as exc:
            message = f"{where}: no answer within {self._timeout:g} s; retry later"
            raise self._error(message) from exc
        except httpx.TransportError as exc:
            message = f"{where}: {type(exc).__name__}: {exc}; check alerts.bugzilla.url"
            raise self._error(message) from exc

    def _answer(self, response: httpx.Response, where: str) -> dict[str, Any]:
        """The answer's JSON object if Bugzilla accepted the request; else a NotifyError."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict) and not body.get("error"):
            return body
        said = _bugzilla_said(body, response.text)
        message = f"{where} answered HTTP {response.status_code}: {said}"
        raise self._error(f"{message}; {_fix_for(response.status_code)}", response.status_code)

    def _error(self, message: str, status: int | None = None) -> NotifyError:
        """A NotifyError whose message cannot leak the API key, even if a server echoes it."""
        if self._api_key:
            message = message.replace(self._api_key, "[api key]")
        return NotifyError(message, service="bugzilla", status=status)


def _read_bugs(answer: Mapping[str, Any]) -> list[Bug]:
    """The bugs of a get or search answer."""
    return [_parse_bug(raw) for raw in answer["bugs"]]


def _read_id(answer: Mapping[str, Any]) -> int:
    """The id of a new bug or comment."""
    return int(answer["id"])


def _read_nothing(answer: Mapping[str, Any]) -> None:
    """An update's answer lists its changes; a refused one already raised."""


def _needinfo_flag(requestee: str) -> dict[str, Any]:
    """A needinfo request on ``requestee``, as Bugzilla's create and update take it."""
    return {"name": "needinfo", "status": "?", "requestee": requestee}


def _search_terms(
    keywords: Sequence[str],
    whiteboard: str | None,
    product: str | None,
    component: str | None,
    resolved: bool | None,
) -> list[tuple[str, str]]:
    """Search parameters in Bugzilla's own spelling (those of its advanced search URLs)."""
    terms: list[tuple[str, str]] = []
    if keywords:
        terms += [("keywords", ",".join(keywords)), ("keywords_type", "allwords")]
    if whiteboard is not None:
        terms += [("whiteboard", whiteboard), ("status_whiteboard_type", "allwordssubstr")]
    if product is not None:
        terms.append(("product", product))
    if component is not None:
        terms.append(("component", component))
    return terms + _resolution_terms(resolved)


def _resolution_terms(resolved: bool | None) -> list[tuple[str, str]]:
    """Open bugs have the resolution ``---``; resolved ones need a custom-search condition,
    as no plain parameter means "any resolution but none"."""
    if resolved is None:
        return []
    if not resolved:
        return [("resolution", _OPEN_RESOLUTION)]
    return [("f1", "resolution"), ("o1", "notequals"), ("v1", _OPEN_RESOLUTION)]


def _parse_bug(raw: Mapping[str, Any]) -> Bug:
    """A :class:`Bug` from Bugzilla's JSON of a bug."""
    resolution = str(raw.get("resolution") or "")
    return Bug(
        id=int(raw["id"]),
        status=str(raw["status"]),
        resolution="" if resolution == _OPEN_RESOLUTION else resolution,
        summary=str(raw["summary"]),
        keywords=tuple(str(keyword) for keyword in raw.get("keywords") or ()),
        whiteboard=str(raw.get("whiteboard") or ""),
        needinfo=_needinfo_requestees(raw.get("flags") or ()),
    )


def _needinfo_requestees(flags: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Who is asked for information by an open needinfo flag."""
    return tuple(
        str(flag["requestee"])
        for flag in flags
        if flag.get("name") == "needinfo" and flag.get("status") == "?" and flag.get("requestee")
    )


def _bugzilla_said(body: object, text: str) -> str:
    """Bugzilla's error message and code, or the start of a body that is no Bugzilla answer."""
    if isinstance(body, dict) and body.get("message"):
        return f"{body['message']} (Bugzilla error {body.get('code', '?')})"
    return f"not a Bugzilla answer: {text[:200]!r}"


def _fix_for(status: int) -> str:
    """What to check after a refused request."""
    if status in _FIXES:
        return _FIXES[status]
    if status >= 500:
        return "Bugzilla is failing; retry later"
    return "check that alerts.bugzilla.url is the Bugzilla root"
