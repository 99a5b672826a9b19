"""The FastAPI app: the results reader, the alert store, the API routes and pages, errors as
JSON with a fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from opwatch import __version__
from opwatch.alerts.store import AlertStore
from opwatch.config.settings import Settings
from opwatch.errors import ProjectNotFoundError
from opwatch.results import ResultsReader
from opwatch.results.reader import InvalidQueryError
from opwatch.web import alerts_pages, api, pages


def create_app(settings: Settings) -> FastAPI:
    """The app over the results that ``settings`` point at (read-only) and the alert store
    (opened here, closed when the server stops)."""
    app = FastAPI(
        title="opwatch",
        version=__version__,
        description="Operational monitoring results: projects, statistics with confidence "
        "intervals, detected changes, and the alerts raised on them.",
        lifespan=_lifespan,
    )
    app.state.reader = ResultsReader.of_settings(settings)
    app.state.settings = settings
    app.state.alert_store = AlertStore.of_settings(
        settings
    )  # made (and migrated) if there is none yet
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(alerts_pages.router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    app.add_exception_handler(ProjectNotFoundError, _not_found)
    app.add_exception_handler(InvalidQueryError, _bad_request)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Release the alert store's connections and the reads when the server stops."""
    yield
    app.state.alert_store.close()
    app.state.reader.close()


async def _not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=404)
    context = {"message": str(error)}
    return pages.templates.TemplateResponse(request, "missing.html", context, status_code=404)


async def _bad_request(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=400)
