"""Result tables computed in Python (statistics, detections, ``projects_v1``) stored as Parquet.

Rows arrive as Arrow tables (or dictionaries, for ``projects_v1``); a small DuckDB session of
its own writes them with the engine's templates into staging files of the
:class:`~opwatch.engines.storage.ResultStore`, which publishes them by rename. The session is
not the engine's: storing rows needs neither the input views nor the compatibility macros, so
a step that only stores (detection) never opens them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from opwatch.engines.duckdb_errors import engine_error
from opwatch.engines.results import PackedLists, ResultWrites
from opwatch.engines.storage import SERVING_ROWS, ResultStore

ROWS_VIEW = "opwatch_rows"
"""Name under which rows computed in Python are registered to be written."""
ROWS_ROW_GROUP_SIZE = 8192
"""Rows per Parquet row group of tables computed in Python: small enough that a read of one
metric over the files skips most of a day's file."""
SERVING_ALIAS = "opwatch_serving"
"""The name a serving copy being written is attached under."""
SERVING_NAMES = {"alias": SERVING_ALIAS, "rows_table": SERVING_ROWS}
"""Where the serving templates find the copy being written."""
COLUMN_TYPES = {
    "string": "VARCHAR",
    "date": "DATE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "string[]": "VARCHAR[]",
    "json": "JSON",
}
"""The engine-neutral column kinds of ``replace_table`` as DuckDB types."""

Statements = Callable[..., list[str]]
"""Renders an engine template: ``statements(template, **context)``."""


class ParquetWrites(ResultWrites):
    """Stores rows as the Parquet partitions of a result store."""

    def __init__(
        self, store: ResultStore, statements: Statements, config: dict[str, Any] | None = None
    ) -> None:
        self.store = store
        self.statements = statements
        self.config = dict(config or {})
        """DuckDB settings of the writing session (threads, memory limit, temp folder)."""
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The writing session, opened on first use."""
        if self._connection is None:
            self._connection = duckdb.connect(":memory:", config=self.config)
        return self._connection

    def writer_lock(self) -> AbstractContextManager[None]:
        """The results folder's lock: one writing process at a time."""
        return self.store.writer_lock()

    def write_rows(
        self, table: str, rows: Any, days: tuple[date, ...], order_by: tuple[str, ...] = ()
    ) -> None:
        """Stage a Parquet file per day from the Arrow ``rows``, then publish them together."""
        present = set(rows.column("submission_date").unique().to_pylist())
        with self.store.staging() as staging, self._registered(rows):
            (staging / table).mkdir()
            for day in days:
                for statement in self.statements(
                    "write_partition",
                    view=ROWS_VIEW,
                    day=day,
                    path=self._staged(staging, table, day),
                    order_by=order_by,
                    row_group_size=ROWS_ROW_GROUP_SIZE,
                ):
                    self._execute(statement)
            for day in days:
                staged = self._staged(staging, table, day) if day in present else None
                self.store.publish_partition(table, day, staged)

    def write_table(self, table: str, rows: Any) -> None:
        """Stage one Parquet file from the Arrow ``rows``, then swap it in."""
        with self.store.staging() as staging, self._registered(rows):
            staged = staging / "table.parquet"
            self._execute(self.statements("write_table", view=ROWS_VIEW, path=staged)[0])
            self.store.publish_table(table, staged)

    def replace_table(
        self, table: str, rows: list[dict[str, Any]], key: str, columns: dict[str, str]
    ) -> None:
        """Rewrite ``table`` keeping other keys' rows, through a staged file."""
        types = {name: COLUMN_TYPES[kind] for name, kind in columns.items()}
        existing = self.store.table_file(table)
        with self.store.staging() as staging:
            rows_file = staging / "rows.jsonl"
            rows_file.write_text("".join(json.dumps(row, default=str) + "\n" for row in rows))
            staged = staging / "table.parquet"
            statement = self.statements(
                "replace_rows",
                existing=existing if existing.exists() else None,
                rows_file=rows_file,
                columns=types,
                key=key,
                path=staged,
            )[0]
            self._execute(statement)
            self.store.publish_table(table, staged)

    def write_serving(
        self,
        table: str,
        order_by: tuple[str, ...],
        facets: tuple[str, ...],
        latest_only: bool,
        series: tuple[str, str] = ("metric", "statistic"),
        packed: PackedLists | None = None,
    ) -> None:
        """Write ``table``'s serving copy and its facts in staging, then publish them (see
        :meth:`ResultWrites.write_serving`); nothing when the copy is current."""
        version = self.store.version(table)
        if version is None or self._serving_version(table) == version:
            return
        path = self.store.files_glob(table)
        self._execute(self.statements("parquet_view", view=table, path=path)[0])
        described = self._execute(self.statements("results_columns", table=table)[0]).description
        columns = {column[0] for column in described or ()}
        if packed is not None and not {name for name, _ in packed.lists} <= columns:
            packed = None  # written before the table packed anything
        with self.store.staging() as staging:
            staged = staging / "serving.duckdb"
            try:
                for statement in self.statements(
                    "serving_copy",
                    table=table,
                    order_by=order_by,
                    latest_only=latest_only,
                    series=series,
                    path=staged,
                    packed=packed,
                    **SERVING_NAMES,
                ):
                    self._execute(statement)
                facts = self._facts(table, version, facets, series)
            finally:
                self._execute(self.statements("detach", alias=SERVING_ALIAS)[0])
            facts_file = staging / "facts.json"
            facts_file.write_text(json.dumps(facts))
            self.store.publish_serving(table, staged, facts_file)

    def _facts(
        self, table: str, version: str, facets: tuple[str, ...], series: tuple[str, str]
    ) -> dict[str, Any]:
        """What the reader asks of a served table without reading it: extent, rows, values,
        series numbers."""
        extent = self.statements("results_extent", table=table)[0]
        first, last, rows = self._execute(extent).fetchall()[0]
        facts: dict[str, Any] = {"version": version, "rows": rows}
        facts |= {"first_day": str(first), "last_day": str(last), "facets": {}}
        for column in facets:
            query = self.statements("serving_facet", column=column, **SERVING_NAMES)[0]
            facts["facets"][column] = [
                [None if value is None else str(value), count, compared]
                for value, count, compared in self._execute(query).fetchall()
            ]
        query = self.statements("serving_series", series=series, **SERVING_NAMES)[0]
        numbers: dict[str, dict[str, int]] = {}
        for number, first, second in self._execute(query).fetchall():
            numbers.setdefault(str(first), {})[str(second)] = int(number)
        facts["series"] = numbers
        return facts

    def _serving_version(self, table: str) -> str | None:
        facts = self.store.serving_facts(table)
        return None if facts is None else str(facts.get("version"))

    def close(self) -> None:
        """Close the writing session."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @staticmethod
    def _staged(staging: Path, table: str, day: date) -> Path:
        return staging / table / f"{day.isoformat()}.parquet"

    @contextmanager
    def _registered(self, rows: Any) -> Iterator[None]:
        """``rows`` visible to the session as :data:`ROWS_VIEW` while a write runs."""
        self.connection.register(ROWS_VIEW, rows)
        try:
            yield
        finally:
            self.connection.unregister(ROWS_VIEW)

    def _execute(self, statement: str) -> duckdb.DuckDBPyConnection:
        try:
            return self.connection.execute(statement)
        except duckdb.Error as error:
            raise engine_error(error, statement) from error
