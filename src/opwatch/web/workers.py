"""Serving with one process per core.

A request's Python work (routing, validation, JSON) holds the interpreter's lock: one server
process answers on one core however many reads DuckDB runs in parallel. ``opwatch serve``
can start ``serve.workers`` processes with uvicorn, which shares the listening socket among
them. One is the default: measured with 20 clients on the server's own 2 cores
(``benchmarks/web_results.py --workers``), two processes answered no more requests than one
— the clients used the other core — and held twice the memory. Each process builds its app
from the settings the command passes in the environment (:data:`ENVIRONMENT`), with an equal
share of ``serve.memory_limit``, so the server's memory stays bounded by the setting however
many processes there are.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from opwatch.config.settings import Settings

ENVIRONMENT = "OPWATCH_SERVE_WORKER"
"""The variable holding the settings, bound host and process count of a worker's app."""
UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1}
UNITS |= {f"{p}b": 1000 ** (i + 1) for i, p in enumerate("kmgt")}
UNITS |= {f"{p}ib": 1024 ** (i + 1) for i, p in enumerate("kmgt")}
AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def memory_share(limit: str, parts: int) -> str:
    """``limit`` (DuckDB's notation: ``1GB``, ``512 MiB``) divided in ``parts``; ``limit``
    itself if it is not an amount DuckDB's units name (DuckDB then says what is wrong)."""
    found = AMOUNT.match(limit)
    unit = found and UNITS.get(found.group(2).lower())
    if parts == 1 or found is None or unit is None:
        return limit
    return f"{int(float(found.group(1)) * unit / parts)}B"


def worker_environment(settings: Settings, host: str, workers: int) -> str:
    """What :func:`app_from_environment` reads back in each worker."""
    return json.dumps(
        {"settings": settings.model_dump(mode="json"), "host": host, "workers": workers}
    )


def app_from_environment() -> FastAPI:
    """A worker's app (uvicorn's factory), from the command's :data:`ENVIRONMENT`."""
    from opwatch.config.settings import Settings
    from opwatch.web.app import create_app

    passed = json.loads(os.environ[ENVIRONMENT])
    settings = Settings.model_validate(passed["settings"])
    return create_app(settings, passed["host"], processes=passed["workers"])
