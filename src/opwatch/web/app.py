"""The FastAPI app: the results reader, the alert store, the API routes and pages, errors as
JSON with a fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from opwatch import __version__
from opwatch.alerts.store import AlertStore
from opwatch.config.settings import Settings
from opwatch.errors import ProjectNotFoundError, ReadTimeoutError
from opwatch.results import ResultsReader
from opwatch.results.models import InvalidQueryError
from opwatch.web import alerts_pages, api, pages
from opwatch.web.security import SecurityHeaders, allowed_hosts
from opwatch.web.workers import memory_share

RETRY_AFTER_SECONDS = 5
"""What a 503 for a read that ran out of time tells the client to wait."""


def create_app(settings: Settings, host: str = "127.0.0.1", processes: int = 1) -> FastAPI:
    """The app over the results that ``settings`` point at and the alert store, both opened
    read-only here and closed when the server stops; ``host`` is the address it is bound to
    (with localhost and ``serve.allowed_hosts``, the Host names it answers); ``processes``:
    how many server processes share ``serve.memory_limit`` (see :mod:`opwatch.web.workers`)."""
    app = FastAPIOffline(
        title="opwatch",
        version=__version__,
        description="Operational monitoring results: projects, statistics with confidence "
        "intervals, detected changes, and the alerts raised on them.",
        lifespan=_lifespan,
        static_url="/static/docs",
    )
    app.state.reader = ResultsReader.of_settings(
        _reading(settings, processes), timeout=settings.serve.request_seconds, read_only=True
    )
    app.state.settings = settings
    app.state.rendered_pages = pages.RenderedPages()
    app.state.alert_store = AlertStore.reading(settings)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(alerts_pages.router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    app.add_exception_handler(ProjectNotFoundError, _not_found)
    app.add_exception_handler(InvalidQueryError, _bad_request)
    app.add_exception_handler(ReadTimeoutError, _unavailable)
    app.add_middleware(SecurityHeaders)
    hosts = allowed_hosts(host, settings.serve.allowed_hosts)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    return app


def _reading(settings: Settings, processes: int) -> Settings:
    """``settings`` with the engine's memory limit this process's share of the server's
    (``serve.memory_limit``)."""
    limit = memory_share(settings.serve.memory_limit, processes)
    engine = settings.engine.model_copy(update={"memory_limit": limit})
    return settings.model_copy(update={"engine": engine})


def close_app(app: FastAPI) -> None:
    """Release the alert store's connections and the reads of an app from :func:`create_app`."""
    app.state.alert_store.close()
    app.state.reader.close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Release what the app holds when the server stops."""
    yield
    close_app(app)


async def _not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=404)
    context = {"message": str(error)}
    return pages.templates.TemplateResponse(request, "missing.html", context, status_code=404)


async def _bad_request(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=400)


async def _unavailable(request: Request, error: Exception) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=503, headers=headers)
    context = {"message": str(error)}
    return pages.templates.TemplateResponse(
        request, "missing.html", context, status_code=503, headers=headers
    )
