"""DuckDB's errors as opwatch's: the first line of the message, the engine and the statement."""

from __future__ import annotations

import duckdb

from opwatch.errors import EngineError


def engine_error(error: duckdb.Error, sql: str, project: str | None = None) -> EngineError:
    """``error`` as an EngineError: its first line (the rest repeats the query or adds a hint
    that names DuckDB internals), with the project and the failing statement."""
    message = str(error).strip()
    return EngineError(
        message.splitlines()[0] if message else str(error),
        project=project,
        engine="duckdb",
        sql=sql,
    )
