"""A fake Bugzilla that speaks the REST protocol over real HTTP on loopback.

It keeps bugs in memory and answers the ``/rest/bug`` endpoints the alert manager uses with
Bugzilla's own JSON shapes, status codes and error bodies
(https://bmo.readthedocs.io/en/latest/api/core/v1/bug.html), so a client that works here
sends what a real Bugzilla expects. Search parameters it does not know are refused rather
than ignored, so a misspelt parameter fails a test instead of matching every bug.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

OPEN_STATUSES = {"UNCONFIRMED", "NEW", "ASSIGNED", "REOPENED"}
REQUIRED = {"product": 106, "component": 105, "summary": 107, "version": 51}
"""Fields a new bug needs, with the error code Bugzilla gives when one is missing."""
FLAG_STATUSES = {"?", "+", "-", "X"}
SEARCH_PARAMETERS = {
    "id",
    "include_fields",
    "keywords",
    "keywords_type",
    "whiteboard",
    "status_whiteboard_type",
    "product",
    "component",
    "status",
    "resolution",
    "f1",
    "o1",
    "v1",
}
EXACT_FIELDS = ("product", "component", "status", "resolution")
"""Search fields matched exactly (any of the values given)."""
REPORTER = "opwatch-bot@example.com"

Criterion = Callable[[dict[str, Any]], bool]
"""A search condition on a stored bug."""


class BugzillaError(Exception):
    """An error answer: HTTP status, Bugzilla error code, message."""

    def __init__(self, http_status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http_status, self.code, self.message = http_status, code, message


class FakeBugzilla:
    """In-memory Bugzilla on ``127.0.0.1`` and a free port; ``url`` is its root.

    ``bugs`` holds each bug as stored (its fields, ``comments`` and ``flags``), ``requests``
    every ``(method, path with query)`` received. With ``api_key`` set, a request without
    that ``X-BUGZILLA-API-KEY`` is refused with 401.
    """

    def __init__(self, api_key: str | None = "secret-key") -> None:
        self.api_key = api_key
        self.url = ""
        self.bugs: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._next_id = {"bug": 1001, "comment": 5001, "flag": 9001}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeBugzilla:
        """Listen on a free loopback port and serve from a daemon thread."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeBugzilla:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def resolve(self, bug_id: int, resolution: str) -> None:
        """What a developer does in the web UI: mark the bug RESOLVED with ``resolution``."""
        with self._lock:
            bug = self.bugs[bug_id]
            bug["status"], bug["resolution"] = "RESOLVED", resolution
            bug["last_change_time"] = _now()

    def answer(self, method: str, target: str, api_key: str | None, body: bytes) -> Any:
        """The JSON answer to one request; raises BugzillaError for an error answer."""
        with self._lock:
            self.requests.append((method, target))
            if self.api_key is not None and api_key != self.api_key:
                raise BugzillaError(401, 306, "The API key you specified is invalid.")
            parts = urlsplit(target)
            handler, args = self._route(method, parts.path)
            return handler(
                *args, query=parse_qsl(parts.query, keep_blank_values=True), body=_json_body(body)
            )

    def _route(self, method: str, path: str) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The endpoint method serving ``method path`` and its path arguments."""
        segments = path.strip("/").split("/")
        if segments[:2] == ["rest", "bug"]:
            routes: dict[tuple[str, int], Callable[..., Any]] = {
                ("POST", 2): self._create,
                ("GET", 2): self._search,
                ("GET", 3): self._get,
                ("PUT", 3): self._update,
            }
            if len(segments) == 4 and segments[3] == "comment" and method == "POST":
                return self._comment, (self._bug(segments[2]),)
            if (method, len(segments)) in routes:
                args = (self._bug(segments[2]),) if len(segments) == 3 else ()
                return routes[method, len(segments)], args
        message = f"A REST API resource was not found for '{method} {path}'."
        raise BugzillaError(404, 32614, message)

    def _bug(self, id_text: str) -> dict[str, Any]:
        """The stored bug of a path's id; 404 with code 101 if there is none."""
        if not id_text.isdigit() or int(id_text) not in self.bugs:
            raise BugzillaError(404, 101, f"Bug #{id_text} does not exist.")
        return self.bugs[int(id_text)]

    def _take_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind] - 1

    def _create(self, *, query: list[tuple[str, str]], body: dict[str, Any]) -> dict[str, Any]:
        """``POST /rest/bug``: the description becomes comment 0, flags are set at once."""
        for field, code in REQUIRED.items():
            if not body.get(field):
                raise BugzillaError(400, code, f"You must specify a {field} for this bug.")
        bug_id = self._take_id("bug")
        bug = {
            "id": bug_id,
            "product": body["product"],
            "component": body["component"],
            "summary": body["summary"],
            "version": body["version"],
            "type": body.get("type", "defect"),
            "status": body.get("status", "NEW"),
            "resolution": "",
            "keywords": list(body.get("keywords", [])),
            "whiteboard": body.get("whiteboard", ""),
            "creator": REPORTER,
            "creation_time": _now(),
            "last_change_time": _now(),
            "flags": [],
            "comments": [],
        }
        for change in body.get("flags", []):
            self._set_flag(bug, change)
        self._add_comment(bug, body.get("description", ""))
        self.bugs[bug_id] = bug
        return {"id": bug_id}

    def _get(
        self, bug: dict[str, Any], *, query: list[tuple[str, str]], body: Any
    ) -> dict[str, Any]:
        """``GET /rest/bug/{id}``."""
        return {"bugs": [_public(bug, _include_fields(query))], "faults": []}

    def _search(self, *, query: list[tuple[str, str]], body: Any) -> dict[str, Any]:
        """``GET /rest/bug``: every criterion must hold; a repeated one matches any value."""
        unknown = {name for name, _ in query} - SEARCH_PARAMETERS
        if unknown:
            message = f"The fake Bugzilla does not know the search parameters {sorted(unknown)}."
            raise BugzillaError(400, 32000, message)
        criteria = _criteria(query)
        found = [bug for _, bug in sorted(self.bugs.items()) if all(c(bug) for c in criteria)]
        fields = _include_fields(query)
        return {"bugs": [_public(bug, fields) for bug in found], "faults": []}

    def _update(self, bug: dict[str, Any], *, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /rest/bug/{id}``: all or nothing, like Bugzilla's transaction; answers the
        changed fields as Bugzilla reports them."""
        updated = copy.deepcopy(bug)
        changes: dict[str, dict[str, str]] = {}
        for field, value in body.items():
            self._apply(updated, field, value, changes)
        _check_state(updated)
        updated["last_change_time"] = _now()
        self.bugs[bug["id"]] = updated
        changed = {field: change for field, change in changes.items() if any(change.values())}
        answer = {"id": bug["id"], "alias": [], "changes": changed}
        return {"bugs": [{**answer, "last_change_time": updated["last_change_time"]}]}

    def _apply(
        self, bug: dict[str, Any], field: str, value: Any, changes: dict[str, dict[str, str]]
    ) -> None:
        """One field of an update, its change added to ``changes``."""
        if field == "comment":
            self._add_comment(bug, value["body"] if isinstance(value, dict) else str(value))
        elif field == "flags":
            for change in value:
                _record(changes, "flagtypes.name", *self._set_flag(bug, change))
        elif field != "ids":
            _record(changes, field, *_set(bug, field, value))

    def _comment(self, bug: dict[str, Any], *, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /rest/bug/{id}/comment``: returns the new comment's id."""
        text = body.get("comment", "")
        if not str(text).strip():
            raise BugzillaError(400, 54, "You must specify a comment.")
        return {"id": self._add_comment(bug, str(text))}

    def _add_comment(self, bug: dict[str, Any], text: str) -> int:
        comment_id = self._take_id("comment")
        comments: list[dict[str, Any]] = bug["comments"]
        comments.append(
            {
                "id": comment_id,
                "bug_id": bug["id"],
                "count": len(comments),
                "text": text,
                "creator": REPORTER,
                "creation_time": _now(),
            }
        )
        return comment_id

    def _set_flag(self, bug: dict[str, Any], change: dict[str, Any]) -> tuple[str, str]:
        """Create, update or clear (status ``X``) a flag as Bugzilla does; returns the
        (added, removed) descriptions of its change, like ``needinfo?(owner@example.com)``."""
        if change.get("status") not in FLAG_STATUSES or not (change.get("name") or "id" in change):
            raise BugzillaError(400, 129, f"Invalid flag change {change!r}.")
        flags: list[dict[str, Any]] = bug["flags"]
        old = _flag_to_change(flags, change)
        removed = _flag_text(old) if old else ""
        if change["status"] == "X":
            if old is not None:
                flags.remove(old)
            return "", removed
        name = change.get("name") or (old or {})["name"]
        flag = {
            "id": old["id"] if old else self._take_id("flag"),
            "type_id": 800 if name == "needinfo" else 900,
            "name": name,
            "status": change["status"],
            "setter": REPORTER,
            "creation_date": old["creation_date"] if old else _now(),
            "modification_date": _now(),
        }
        if change.get("requestee"):
            flag["requestee"] = change["requestee"]
        if old is not None:
            flags[flags.index(old)] = flag
        else:
            flags.append(flag)
        return _flag_text(flag), removed


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding the FakeBugzilla its handlers answer from."""

    daemon_threads = True
    fake: FakeBugzilla


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to the server's FakeBugzilla and writes its JSON answer."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        assert isinstance(self.server, _Server)
        api_key = self.headers.get("X-BUGZILLA-API-KEY")
        try:
            answer = self.server.fake.answer(self.command, self.path, api_key, body)
            self._write(200, answer)
        except BugzillaError as error:
            self._write(error.http_status, _error_body(error))
        except Exception as error:  # a fake's bug must answer 500, not hang up
            self._write(500, _error_body(BugzillaError(500, 100500, repr(error))))

    def _write(self, status: int, answer: Any) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: ``requests`` records what was asked."""


def _error_body(error: BugzillaError) -> dict[str, Any]:
    return {
        "error": True,
        "code": error.code,
        "message": error.message,
        "documentation": "https://bmo.readthedocs.io/en/latest/api/",
    }


def _json_body(body: bytes) -> Any:
    if not body:
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BugzillaError(400, 32000, f"Could not parse the JSON body: {exc}") from exc


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _include_fields(query: list[tuple[str, str]]) -> set[str] | None:
    names = {name for key, value in query if key == "include_fields" for name in value.split(",")}
    return names or None


def _public(bug: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """A bug as the API shows it: no comments (they have their own endpoint), and only the
    ``include_fields`` asked for."""
    shown = {key: value for key, value in bug.items() if key != "comments"}
    return shown if fields is None else {k: v for k, v in shown.items() if k in fields}


def _values(query: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in query if key == name]


def _criteria(query: list[tuple[str, str]]) -> list[Criterion]:
    """One predicate per search criterion in ``query``."""
    criteria = [
        _field_in(name, values) for name in EXACT_FIELDS if (values := _values(query, name))
    ]
    if ids := _values(query, "id"):
        criteria.append(_id_in(ids))
    if keywords := _values(query, "keywords"):
        criteria.append(_keywords_match(keywords, _first(query, "keywords_type", "allwords")))
    if whiteboards := _values(query, "whiteboard"):
        kind = _first(query, "status_whiteboard_type", "substring")
        criteria.append(_whiteboard_match(whiteboards, kind))
    if _values(query, "f1"):
        criteria.append(_chart(query))
    return criteria


def _first(query: list[tuple[str, str]], name: str, default: str) -> str:
    return next(iter(_values(query, name)), default)


def _field_text(bug: dict[str, Any], field: str) -> str:
    """A field as search compares it: an open bug's resolution is ``---``."""
    value = str(bug[field])
    return "---" if field == "resolution" and not value else value


def _field_in(field: str, values: list[str]) -> Criterion:
    return lambda bug: _field_text(bug, field) in values


def _id_in(values: list[str]) -> Criterion:
    parts = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise BugzillaError(400, 54, f"Invalid bug ids {parts!r}.")
    ids = {int(part) for part in parts}
    return lambda bug: bug["id"] in ids


def _keywords_match(values: list[str], kind: str) -> Criterion:
    """``keywords`` with ``keywords_type``: all, any or none of the words."""
    wanted = {word for value in values for word in value.replace(",", " ").split()}
    tests: dict[str, Callable[[set[str]], bool]] = {
        "allwords": lambda have: wanted <= have,
        "anywords": lambda have: bool(wanted & have),
        "nowords": lambda have: not wanted & have,
    }
    if kind not in tests:
        raise BugzillaError(400, 32000, f"The fake Bugzilla does not know keywords_type {kind!r}.")
    test = tests[kind]
    return lambda bug: test(set(bug["keywords"]))


def _whiteboard_match(values: list[str], kind: str) -> Criterion:
    """A case-insensitive substring of the whiteboard, or with ``allwordssubstr`` each of its
    words; any of several values will do."""
    if kind not in ("substring", "allwordssubstr"):
        message = f"The fake Bugzilla does not know status_whiteboard_type {kind!r}."
        raise BugzillaError(400, 32000, message)
    split = kind == "allwordssubstr"
    wanted = [value.casefold().split() if split else [value.casefold()] for value in values]
    return lambda bug: any(
        all(word in bug["whiteboard"].casefold() for word in words) for words in wanted
    )


def _chart(query: list[tuple[str, str]]) -> Criterion:
    """The one custom-search condition ``f1 o1 v1`` (equals or notequals on a field)."""
    field, operator, value = (_values(query, name)[0] for name in ("f1", "o1", "v1"))
    if operator not in ("equals", "notequals"):
        raise BugzillaError(
            400, 32000, f"The fake Bugzilla does not know the operator {operator!r}."
        )
    return lambda bug: (_field_text(bug, field) == value) == (operator == "equals")


def _check_state(bug: dict[str, Any]) -> None:
    """Bugzilla's rule: an open bug has no resolution, a closed one has one."""
    is_open = bug["status"] in OPEN_STATUSES
    if is_open and bug["resolution"]:
        raise BugzillaError(400, 51, "You cannot set a resolution on an open bug.")
    if not is_open and not bug["resolution"]:
        raise BugzillaError(400, 51, f"A {bug['status']} bug must have a resolution.")


def _set(bug: dict[str, Any], field: str, value: Any) -> tuple[str, str]:
    """Apply one field of an update; returns (added, removed) as Bugzilla reports them."""
    if field == "keywords":
        return _set_keywords(bug, value)
    old = bug.get(field, "")
    bug[field] = value
    if field == "status" and value in OPEN_STATUSES:
        bug["resolution"] = ""
    return ("", "") if old == value else (str(value), str(old))


def _set_keywords(bug: dict[str, Any], value: Any) -> tuple[str, str]:
    """Keywords take a list (the new set) or ``{"add", "remove", "set"}``."""
    old: list[str] = bug["keywords"]
    if isinstance(value, list):
        value = {"set": value}
    if "set" in value:
        new = list(dict.fromkeys(value["set"]))
    else:
        new = [word for word in old if word not in value.get("remove", [])]
        new += [word for word in value.get("add", []) if word not in new]
    bug["keywords"] = new
    added = [word for word in new if word not in old]
    return ", ".join(added), ", ".join(word for word in old if word not in new)


def _record(changes: dict[str, dict[str, str]], field: str, added: str, removed: str) -> None:
    """Add (added, removed) to the change of ``field``, comma-and-space separated like
    Bugzilla."""
    change = changes.setdefault(field, {"added": "", "removed": ""})
    for key, text in (("added", added), ("removed", removed)):
        if text:
            change[key] = f"{change[key]}, {text}" if change[key] else text


def _flag_to_change(flags: list[dict[str, Any]], change: dict[str, Any]) -> dict[str, Any] | None:
    """The flag a change updates: the one of its ``id``, else the only one of its ``name``
    unless ``new`` asks for another; None when the change creates a flag."""
    if "id" in change:
        matches = [flag for flag in flags if flag["id"] == change["id"]]
        if not matches:
            raise BugzillaError(400, 51, f"There is no flag with the id {change['id']}.")
        return matches[0]
    same = [flag for flag in flags if flag["name"] == change["name"]]
    if change.get("new") or not same:
        return None
    if len(same) > 1:
        raise BugzillaError(400, 132, f"The flag {change['name']} is set more than once.")
    return same[0]


def _flag_text(flag: dict[str, Any]) -> str:
    requestee = f"({flag['requestee']})" if flag.get("requestee") else ""
    return f"{flag['name']}{flag['status']}{requestee}"
