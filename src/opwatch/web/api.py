"""``/api/v1``: projects, one project, its statistics and its detections, and the alerts, as
JSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from opwatch.alerts.model import OPEN_STATUSES
from opwatch.alerts.store import OPEN, AlertQuery, AlertStore
from opwatch.results import ResultsReader, StatisticsFilter
from opwatch.results.models import STATISTIC_COLUMNS, InvalidQueryError
from opwatch.web.alert_filters import (
    MAX_LIMIT,
    STATUSES,
    check_names,
    filter_params,
    parse_filters,
)
from opwatch.web.downloads import csv_response
from opwatch.web.models import (
    AlertRow,
    AlertRows,
    DetectionRows,
    Problem,
    Project,
    ProjectDetails,
    StatisticRows,
)

router = APIRouter(prefix="/api/v1", tags=["results"])
DAY_PATTERN = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
"""What the spec promises is accepted as a day (empty: no filter); 29th to 31st are days too,
but a pattern cannot tell which months have them: the server checks."""
LIMIT_PATTERN = r"^$|^([1-9][0-9]{0,2}|[1-4][0-9]{3}|5000)$"
"""1 to :data:`MAX_LIMIT` (empty: the default)."""
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A filter names something the results do not have"},
    404: {"model": Problem, "description": "No such project in the results"},
    503: {
        "model": Problem,
        "description": "The read ran past serve.request_seconds and was cancelled (see "
        "Retry-After)",
    },
}
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "Rows"}
}
"""The statistics' other representation (``format=csv``)."""


def reader(request: Request) -> ResultsReader:
    """The app's results reader."""
    found: ResultsReader = request.app.state.reader
    return found


Reader = Annotated[ResultsReader, Depends(reader)]


def alert_store(request: Request) -> AlertStore:
    """The app's alert store (opened with the app)."""
    found: AlertStore = request.app.state.alert_store
    return found


def bugzilla_url(request: Request) -> str | None:
    """The bug tracker's base URL, when one is configured (for bug links)."""
    bugzilla = request.app.state.settings.alerts.bugzilla
    return None if bugzilla is None else str(bugzilla.url)


@router.get("/projects", response_model=list[Project])
def list_projects(results: Reader) -> list[Project]:
    """Every project with results: x-axis, date range, last run, open detections."""
    return [Project.of(summary) for summary in results.projects()]


@router.get("/projects/{slug}", response_model=ProjectDetails, responses=ERRORS)
def project(slug: str, results: Reader) -> ProjectDetails:
    """One project: its metrics, and each dimension's values (most common first)."""
    return ProjectDetails.of_detail(results.project(slug))


@router.get("/projects/{slug}/statistics", response_model=StatisticRows, responses=ERRORS | CSV)
def statistics(
    slug: str,
    request: Request,
    results: Reader,
    metric: Annotated[str, Query(description="The metric (required)")],
    statistic: Annotated[str | None, Query(description="e.g. mean, percentile")] = None,
    parameter: Annotated[str | None, Query(description="e.g. 50 for the median")] = None,
    branch: Annotated[str | None, Query()] = None,
    comparison: Annotated[
        str | None, Query(description="difference or relative_difference; none: the branches")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> StatisticRows | Response:
    """Rows of ``<slug>_statistics``; any other query parameter filters a dimension
    (``?os=Windows``)."""
    named = {"metric": metric, "statistic": statistic, "parameter": parameter, "branch": branch}
    named["comparison"] = comparison
    repeated = sorted(k for k in request.query_params if len(request.query_params.getlist(k)) > 1)
    if repeated:
        raise InvalidQueryError(f"give {', '.join(repeated)} once: one value per filter")
    other = {*STATISTIC_COLUMNS, "format"}
    dimensions = {k: v for k, v in request.query_params.items() if k not in other}
    equals = {k: v for k, v in {**named, **dimensions}.items() if v is not None}
    wanted = StatisticsFilter(equals, comparisons=comparison is not None)
    rows = results.statistics(slug, wanted)
    if format == "csv":
        return csv_response(rows, f"{slug}-{metric}.csv")
    return StatisticRows(project=slug, filters=equals, rows=rows)


@router.get("/projects/{slug}/detections", response_model=DetectionRows, responses=ERRORS)
def detections(slug: str, results: Reader) -> DetectionRows:
    """The changes the last ``opwatch detect`` found, shifts first, strongest first."""
    return DetectionRows(project=slug, rows=results.detections(slug))


def _day_query(side: str) -> Any:
    """A day filter of the alerts: created on this day or ``side`` (later, earlier)."""
    description = f"YYYY-MM-DD: alerts created on this day or {side}"
    return Query(description=description, json_schema_extra={"pattern": DAY_PATTERN})


def alert_filters(
    request: Request,
    status: Annotated[
        str,
        Query(
            description=f"open (any of {', '.join(OPEN_STATUSES)}) or one of {', '.join(STATUSES)}",
            json_schema_extra={"enum": ["", OPEN, *STATUSES]},
        ),
    ] = "",
    project: Annotated[str, Query(description="A project's slug")] = "",
    metric: Annotated[str, Query(description="A metric's name")] = "",
    since: Annotated[str, _day_query("later")] = "",
    until: Annotated[str, _day_query("earlier")] = "",
    limit: Annotated[
        str,
        Query(
            description=f"At most this many (1 to {MAX_LIMIT})",
            json_schema_extra={"pattern": LIMIT_PATTERN},
        ),
    ] = "",
) -> AlertQuery:
    """The alert filters of the query string; a bad one is a 400 that says what to give."""
    check_names(request.query_params)
    given = {"status": status, "project": project, "metric": metric}
    return parse_filters(given | {"since": since, "until": until, "limit": limit})


@router.get("/alerts", response_model=AlertRows, responses=ERRORS)
def alerts(
    filters: Annotated[AlertQuery, Depends(alert_filters)],
    store: Annotated[AlertStore, Depends(alert_store)],
    bugzilla: Annotated[str | None, Depends(bugzilla_url)],
) -> AlertRows:
    """Alerts of ``opwatch alerts``, the newest change first; empty filters are ignored."""
    rows = [AlertRow.of(alert, bugzilla) for alert in store.find(filters)]
    return AlertRows(filters=filter_params(filters), limit=filters.limit, rows=rows)
