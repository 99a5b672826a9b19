"""The Alerts page: what ``opwatch alerts`` raised, filtered by status, project, metric and day.

The filters are the URL's query, the same as ``/api/v1/alerts`` takes, so a shared URL shows
the same rows and the page's JSON link gives them as data. A bad filter is a 400 page that
keeps the form and says what to give instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from opwatch.alerts.model import OPEN_STATUSES
from opwatch.alerts.store import OPEN, AlertQuery
from opwatch.errors import ProjectNotFoundError
from opwatch.results.models import InvalidQueryError
from opwatch.web.alert_filters import STATUSES, filter_params, filters_of
from opwatch.web.api import alert_store, bugzilla_url, reader
from opwatch.web.models import AlertRow
from opwatch.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    """The alerts matching the URL's filters, the newest change first."""
    try:
        filters = filters_of(request.query_params)
    except InvalidQueryError as error:
        context = _form_context(request, dict(request.query_params)) | {"error": str(error)}
        return templates.TemplateResponse(request, "alerts.html", context, status_code=400)
    store = alert_store(request)
    bugzilla = bugzilla_url(request)
    rows = [AlertRow.of(alert, bugzilla) for alert in store.find(filters)]
    query = filter_params(filters)
    context = _form_context(request, query) | {
        "rows": rows,
        "limit": filters.limit if len(rows) >= filters.limit else None,
        "filtered": bool(query),
        "stored": bool(rows) or bool(store.find(AlertQuery(limit=1))),
        "json_url": "/api/v1/alerts" + (f"?{urlencode(query)}" if query else ""),
    }
    return templates.TemplateResponse(request, "alerts.html", context)


def _form_context(request: Request, values: dict[str, str]) -> dict[str, Any]:
    """What the filter form shows: the values given, the choices, known names to suggest."""
    projects = [summary.slug for summary in reader(request).projects()]
    return {
        "form": values,
        "statuses": [OPEN, *STATUSES],
        "open_statuses": OPEN_STATUSES,
        "projects": projects,
        "metrics": _metric_names(request, values.get("project")),
    }


def _metric_names(request: Request, slug: str | None) -> list[str]:
    """The metrics of the chosen project, to suggest (none without one, or results)."""
    if not slug:
        return []
    try:
        detail = reader(request).project(slug)
    except ProjectNotFoundError:
        return []
    return [metric["name"] for metric in detail.metrics]
