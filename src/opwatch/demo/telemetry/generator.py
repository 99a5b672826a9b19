"""Generate the tables of a :class:`DemoSpec` with DuckDB, one submission day at a time.

Per application family the population is drawn once (a table of the in-memory database);
then, for each day, that day's pings are drawn into a temporary table and every requested table
of the family is written from it as ``<folder>/<table>/<YYYY-MM-DD>.parquet``. Memory therefore
holds a day per worker, whatever the period, and all tables of a family agree (clients_daily
sums exactly the main pings of the day). Output rows keep the order of the day's pings, so the
same spec writes byte-identical files.

Days are independent, so they are written by as many workers as there are cores, each on a
cursor of its own (a day's few thousand pings are one DuckDB task: one core per query).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from opwatch.demo.telemetry.context import (
    activity_context,
    day_context,
    glean_context,
    main_context,
    population_context,
    spec_context,
)
from opwatch.demo.telemetry.population import DESKTOP_APP, FENIX_APP, IOS_APP, Application
from opwatch.demo.telemetry.render import render, statements
from opwatch.demo.telemetry.spec import DemoSpec, GeneratedData
from opwatch.demo.telemetry.tables import DESKTOP, FENIX, FIREFOX_IOS, Table, selected_tables

Progress = Callable[[str, int, int], None]
"""Called with (physical table, days written, days in all) after each file."""


@dataclass(frozen=True)
class Family:
    """An application's population and daily pings, from which its tables are written."""

    name: str
    app: Application
    clients_template: str
    pings_template: str
    glean: bool


FAMILIES = {
    DESKTOP: Family(DESKTOP, DESKTOP_APP, "desktop_clients.sql.j2", "desktop_pings.sql.j2", False),
    FENIX: Family(FENIX, FENIX_APP, "glean_clients.sql.j2", "glean_pings.sql.j2", True),
    FIREFOX_IOS: Family(FIREFOX_IOS, IOS_APP, "glean_clients.sql.j2", "glean_pings.sql.j2", True),
}


def generate(spec: DemoSpec, folder: Path, progress: Progress | None = None) -> GeneratedData:
    """Write the tables of ``spec`` under ``folder``; what was there for them is replaced."""
    folder = folder.resolve()
    tables = selected_tables(spec.tables)
    for table in tables:
        _clear(folder / table.name)
    contexts = _family_contexts(spec, tables)
    rows = dict.fromkeys((table.name for table in tables), 0)
    connection = duckdb.connect(":memory:", config={"preserve_insertion_order": True})
    cursors: list[duckdb.DuckDBPyConnection] = []
    local = threading.local()

    def write_day(day: date) -> list[tuple[str, int]]:
        if not hasattr(local, "cursor"):
            local.cursor = connection.cursor()
            cursors.append(local.cursor)
        return list(_write_day(local.cursor, contexts, tables, day, folder))

    try:
        _draw_populations(connection, contexts)
        with ThreadPoolExecutor(min(spec.days, os.cpu_count() or 1)) as pool:
            for index, written in enumerate(pool.map(write_day, spec.dates)):
                for name, count in written:
                    rows[name] += count
                    if progress is not None:
                        progress(name, index + 1, spec.days)
    finally:
        for cursor in cursors:
            cursor.close()
        connection.close()
    return GeneratedData(
        folder=folder,
        tables={
            name: str(folder / t.name / "*.parquet") for t in tables for name in t.config_names
        },
        rows=rows,
        start_date=spec.start_date,
        end_date=spec.end_date,
    )


def _draw_populations(
    connection: duckdb.DuckDBPyConnection, contexts: dict[str, dict[str, Any]]
) -> None:
    """The macros, then each family's clients (temporary tables)."""
    for statement in statements("macros.sql"):
        connection.execute(statement)
    for context in contexts.values():
        connection.execute(render(context["family"].clients_template, context))


def _write_day(
    connection: duckdb.DuckDBPyConnection,
    contexts: dict[str, dict[str, Any]],
    tables: tuple[Table, ...],
    day: date,
    folder: Path,
) -> Iterator[tuple[str, int]]:
    """Draw each family's pings of ``day``, then write its tables: (table, rows) per file."""
    for family, context in contexts.items():
        daily = context | day_context(day)
        connection.execute(render(context["family"].pings_template, daily))
        for table in (t for t in tables if t.family == family):
            path = folder / table.name / f"{day.isoformat()}.parquet"
            yield table.name, _write(connection, render(table.template, daily), path)


def _family_contexts(spec: DemoSpec, tables: tuple[Table, ...]) -> dict[str, dict[str, Any]]:
    """The template context of each family that a requested table belongs to."""
    base = spec_context(spec) | main_context(spec) | activity_context() | glean_context()
    contexts = {}
    for name in dict.fromkeys(table.family for table in tables):
        family = FAMILIES[name]
        population = population_context(spec, family.app, family.glean)
        contexts[name] = base | population | {"family": family}
    return contexts


def _write(connection: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """Rows of ``query`` written to ``path`` (zstd Parquet); the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    statement = render("copy.sql.j2", {"query": query, "path": str(path)})
    written = connection.execute(statement).fetchone()
    return int(written[0]) if written else 0


def _clear(folder: Path) -> None:
    """Remove a table's previous files, so that its glob reads only this generation."""
    if folder.is_dir():
        for old in folder.glob("*.parquet"):
            old.unlink()
