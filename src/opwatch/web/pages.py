"""Server-rendered pages: the projects, a project's dashboard, a metric's page.

The pages carry the project's shape (metrics, statistics, dimension values, defaults) and the
charts fetch their rows from the JSON API, so a page and the API always agree, and a view is
its URL: the percentile and dimension values are query parameters.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from opwatch.config.models import DEFAULT_PERCENTILES
from opwatch.results import ProjectDetail
from opwatch.web.api import reader

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.auto_reload = False  # packaged templates do not change while serving
router = APIRouter(include_in_schema=False)
PERCENTILE_CHOICES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
RENDERED_PAGES = 64
"""Dashboard pages kept rendered (the least recently viewed beyond are rendered again)."""


def plotly_file() -> Path:
    """The plotly.js bundle of the installed ``plotly`` package (served, never a CDN)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is missing: reinstall opwatch")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """Every project: name, platform, x-axis, date range, last run, open detections."""
    projects = reader(request).projects()
    return templates.TemplateResponse(request, "home.html", {"projects": projects})


class RenderedPages:
    """Dashboard pages rendered once per version of their tables: a page depends on those
    only (the view is in its URL, read by the page's script). The least recently viewed
    beyond :data:`RENDERED_PAGES` are rendered again when asked."""

    def __init__(self, size: int = RENDERED_PAGES) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], render: Callable[[], bytes]) -> bytes:
        """The page of ``key``, rendered by ``render`` unless kept (never kept when a
        version in ``key`` is unknown)."""
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
                return body
        body = render()
        if None not in key:
            with self._lock:
                self._pages[key] = body
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return body


@router.get("/projects/{slug}", response_class=HTMLResponse)
def dashboard(request: Request, slug: str) -> HTMLResponse:
    """A project's dashboard: one chart per metric and statistic, by category."""
    results = reader(request)

    def render() -> bytes:
        context = _dashboard_context(results.project(slug))
        return bytes(templates.TemplateResponse(request, "project.html", context).body)

    pages: RenderedPages = request.app.state.rendered_pages
    return HTMLResponse(pages.get((slug, *results.versions(slug)), render))


@router.get("/projects/{slug}/metrics/{metric}", response_class=HTMLResponse)
def metric_page(request: Request, slug: str, metric: str) -> HTMLResponse:
    """Every statistic of one metric, with its definition."""
    detail = reader(request).project(slug)
    found = next((m for m in detail.metrics if m["name"] == metric), None)
    if found is None:
        names = ", ".join(m["name"] for m in detail.metrics)
        context = {"message": f'{slug} has no metric "{metric}"; its metrics: {names}'}
        return templates.TemplateResponse(request, "missing.html", context, status_code=404)
    sql = reader(request).clients_sql(slug)
    context = _dashboard_context(detail) | {"metric": found, "charts": _charts(found), "sql": sql}
    return templates.TemplateResponse(request, "metric.html", context)


@router.get("/static/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed package, cached by the browser for a day."""
    return FileResponse(plotly_file(), headers={"Cache-Control": "public, max-age=86400"})


def _dashboard_context(detail: ProjectDetail) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for metric in detail.metrics:
        category = metric.get("category") or "other"
        groups.setdefault(category, []).append({"metric": metric, "charts": _charts(metric)})
    configured = sorted(
        {
            float(p)
            for m in detail.metrics
            for s in m["statistics"]
            if s["name"] == "percentile"
            for p in s["parameters"].get("percentiles", DEFAULT_PERCENTILES)
        }
    )
    return {
        "project": detail.summary,
        "groups": groups,
        "dimensions": detail.dimensions,
        "reference_branch": detail.reference_branch,
        "percentiles": sorted(set(PERCENTILE_CHOICES) | {int(p) for p in configured}),
        "default_percentile": 50,
        "has_results": detail.summary.first_day is not None,
    }


def _charts(metric: dict[str, Any]) -> list[dict[str, Any]]:
    """One chart per statistic of a metric: what the page asks the API for."""
    charts = []
    for statistic in metric["statistics"]:
        name, parameters = statistic["name"], statistic["parameters"]
        if name == "histogram":
            continue
        parameter = {"total_ratio": parameters.get("denominator_metric"), "quantile": "50"}
        charts.append(
            {
                "metric": metric["name"],
                "statistic": name,
                "parameter": parameter.get(name),
                "percentile": name == "percentile",
            }
        )
    if metric["type"] == "histogram" and not any(c["percentile"] for c in charts):
        histogram = {"metric": metric["name"], "statistic": "percentile", "parameter": None}
        charts.append(histogram | {"percentile": True})
    return charts
