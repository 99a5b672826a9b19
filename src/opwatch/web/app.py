"""The FastAPI app: the results reader, the API routes, errors as JSON with a fix."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from opwatch import __version__
from opwatch.config.settings import Settings
from opwatch.engines import create_engine
from opwatch.errors import ProjectNotFoundError
from opwatch.pipeline.state import RunState
from opwatch.results import ResultsReader
from opwatch.results.reader import InvalidQueryError
from opwatch.web import api, pages


def create_app(settings: Settings) -> FastAPI:
    """The app over the results that ``settings`` point at (read-only)."""
    app = FastAPI(
        title="opwatch",
        version=__version__,
        description="Operational monitoring results: projects, statistics with confidence "
        "intervals, and detected changes.",
    )
    state = settings.engine.state
    run_state = RunState(state) if state else RunState.in_folder(settings.engine.results)
    app.state.reader = ResultsReader(create_engine(settings), run_state)
    app.state.settings = settings
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    app.add_exception_handler(ProjectNotFoundError, _not_found)
    app.add_exception_handler(InvalidQueryError, _bad_request)
    return app


async def _not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=404)
    context = {"message": str(error)}
    return pages.templates.TemplateResponse(request, "missing.html", context, status_code=404)


async def _bad_request(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=400)
