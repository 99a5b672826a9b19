"""``opwatch serve``: the web app over the results of this installation."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from opwatch.cli.app import SettingsOption, app, err, settings_and_experiments

if TYPE_CHECKING:
    from opwatch.config.settings import Settings


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A Host name to answer besides the bound host and localhost (repeatable; "
            'adds to serve.allowed_hosts; "*" any).',
        ),
    ] = None,
    settings_file: SettingsOption = None,
) -> None:
    """Serve the dashboards and the JSON API (spec at /docs) over the results in engine.results,
    read-only."""
    settings, _ = settings_and_experiments(settings_file, None, False)
    if allowed_host:
        settings.serve.allowed_hosts = [*settings.serve.allowed_hosts, *allowed_host]
    serve_results(settings, host, port)


def serve_results(settings: Settings, host: str, port: int) -> None:
    """Serve the app over ``settings``' results until interrupted, in ``serve.workers``
    processes (see :mod:`opwatch.web.workers`)."""
    import uvicorn

    from opwatch.web import create_app
    from opwatch.web.app import close_app
    from opwatch.web.workers import ENVIRONMENT, worker_environment

    workers = settings.serve.workers
    web = create_app(settings, host, workers)  # the results open, before any worker starts
    err.print(
        f"opwatch: dashboards of {settings.engine.results} on http://{host}:{port}/ "
        f"({workers} process{'es' if workers > 1 else ''}; API spec at /docs; Ctrl-C stops)",
        markup=False,
        highlight=False,
    )
    if workers == 1:
        uvicorn.run(web, host=host, port=port, log_level="warning")
        return
    close_app(web)
    os.environ[ENVIRONMENT] = worker_environment(settings, host, workers)
    factory = "opwatch.web.workers:app_from_environment"
    uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, log_level="warning")
