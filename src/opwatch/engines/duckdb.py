"""DuckDB, the embedded default: one in-process session, results as partitioned Parquet.

Input tables come from the settings' ``[tables]`` (Parquet files or tables of an attached
DuckDB file), exposed as views under the names the translated SQL uses (``telemetry.main``).
A run materializes the per-client table in memory, writes each result partition to a staging
file, and only when every file of the run is written renames them over the old partitions
(:class:`~opwatch.engines.storage.ResultStore`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from opwatch.config.settings import Settings, is_parquet_source
from opwatch.engines.base import Engine, RunOutput, TableOutput
from opwatch.engines.duckdb_reads import ReadDatabase
from opwatch.engines.storage import ResultStore
from opwatch.errors import EngineError
from opwatch.sql.environment import sql_identifier
from opwatch.sql.render import CLIENTS_TABLE
from opwatch.sql.translate import TableMap

ATTACHED = "opwatch_input"
"""Catalog name of ``engine.database`` when attached."""
OWN_VIEWS_SCHEMA = "opwatch_tables"
"""Schema of views whose natural name another mapping already took."""
ROWS_VIEW = "opwatch_rows"
"""Name under which rows computed in Python (statistics) are registered to be written."""
ROWS_ROW_GROUP_SIZE = 8192
"""Rows per Parquet row group of tables computed in Python: small enough that a read of one
metric over the files skips most of a day's file."""
COLUMN_TYPES = {
    "string": "VARCHAR",
    "date": "DATE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "string[]": "VARCHAR[]",
    "json": "JSON",
}


class DuckDBEngine(Engine):
    """The embedded engine."""

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    per_day_writes: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.store = ResultStore(settings.engine.results)
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._tables: TableMap | None = None
        self._staging: Path | None = None
        self.reads = ReadDatabase(self.store, self.statements, settings.engine.memory_limit)
        """Where results are read (a server's threads at once)."""

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The session: settings applied, compatibility macros and input views created."""
        if self._connection is None:
            self._open()
        assert self._connection is not None
        return self._connection

    def table_map(self) -> TableMap:
        """Config table names → the views this session created for them."""
        if self._tables is None:
            self._open()
        assert self._tables is not None
        return self._tables

    def partition_path(self, table: TableOutput, day: date) -> str:
        """The staging file of a partition (a placeholder path when only rendering)."""
        folder = self._staging or self.store.root / ".staging" / "<run>"
        return str(folder / table.table / f"{day.isoformat()}.parquet")

    def write(self, output: RunOutput) -> dict[date, int]:
        """Run ``output``; publish every partition only once all of them are written."""
        slug = output.plan.project.slug
        with self.store.staging() as staging:
            self._staging = staging
            try:
                for table in output.tables:
                    (staging / table.table).mkdir()
                statements = self.statements(
                    "materialize", name=CLIENTS_TABLE, query=output.clients_query
                )
                for statement in statements:
                    self._execute(statement, slug)
                clients = self._client_counts(slug)
                for table in output.tables:
                    for statement in self.write_statements(output, table):
                        self._execute(statement, slug)
                self._publish(output)
            finally:
                self._staging = None
                self._execute(self.statements("drop", name=CLIENTS_TABLE)[0], slug)
        return {day: clients.get(day, 0) for day in output.plan.run_dates}

    def writer_lock(self) -> AbstractContextManager[None]:
        """The results folder's lock: one writing process at a time."""
        return self.store.writer_lock()

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
            self._execute(statement, None)
            self.store.publish_table(table, staged)

    def read(
        self,
        query: str,
        parameters: list[Any] | None = None,
        *,
        sorted_by: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` on a cursor of the shared read database (:mod:`duckdb_reads`):
        the run's session is left alone, a reader may be another thread or process."""
        with self.reads.cursor(query, sorted_by) as reader:
            return self._query(reader, query, parameters).fetchall()

    def read_columns(self, query: str, parameters: list[Any] | None = None) -> dict[str, Any]:
        """Columns of ``query`` as numpy arrays, read as :meth:`read` reads."""
        with self.reads.cursor(query) as reader:
            return dict(self._query(reader, query, parameters).fetchnumpy())

    def has_results(self, table: str) -> bool:
        """Whether ``table`` has a data file."""
        return self.store.has_table(table)

    def table_version(self, table: str) -> str | None:
        """The result store's token for ``table`` (file count and latest modification)."""
        return self.store.version(table)

    def write_rows(
        self, table: str, rows: Any, days: tuple[date, ...], order_by: tuple[str, ...] = ()
    ) -> None:
        """Stage a Parquet file per day from the Arrow ``rows``, then publish them together."""
        output = TableOutput(table, f"SELECT * FROM {ROWS_VIEW}", tuple(rows.column_names))
        with self.store.staging() as staging:
            self._staging = staging
            try:
                (staging / table).mkdir()
                self.connection.register(ROWS_VIEW, rows)
                for day in days:
                    path = self.partition_path(output, day)
                    for statement in self.statements(
                        "write_partition",
                        output=output,
                        day=day,
                        path=path,
                        order_by=[sql_identifier(column) for column in order_by],
                        row_group_size=ROWS_ROW_GROUP_SIZE,
                    ):
                        self._execute(statement, None)
                for day in days:
                    empty = rows.num_rows == 0 or day not in _days_of(rows)
                    staged = None if empty else Path(self.partition_path(output, day))
                    self.store.publish_partition(table, day, staged)
            finally:
                self._staging = None
                self.connection.unregister(ROWS_VIEW)

    def write_table(self, table: str, rows: Any) -> None:
        """Stage one Parquet file from the Arrow ``rows``, then swap it in."""
        with self.store.staging() as staging:
            staged = staging / "table.parquet"
            self.connection.register(ROWS_VIEW, rows)
            try:
                statement = self.statements("write_table", view=ROWS_VIEW, path=staged)[0]
                self._execute(statement, None)
            finally:
                self.connection.unregister(ROWS_VIEW)
            self.store.publish_table(table, staged)

    def _query(
        self, reader: duckdb.DuckDBPyConnection, query: str, parameters: list[Any] | None
    ) -> duckdb.DuckDBPyConnection:
        try:
            return reader.execute(query, parameters or [])
        except duckdb.Error as error:
            raise EngineError(_first_line(str(error)), engine=self.name, sql=query) from error

    def close(self) -> None:
        """Close the sessions (results are files: nothing to flush)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.reads.close()

    def _open(self) -> None:
        config: dict[str, Any] = {"temp_directory": tempfile.gettempdir()}
        if self.settings.engine.threads:
            config["threads"] = self.settings.engine.threads
        if self.settings.engine.memory_limit:
            config["memory_limit"] = self.settings.engine.memory_limit
        connection = duckdb.connect(":memory:", config=config)
        self._connection = connection
        for statement in self.setup_statements():
            self._execute(statement, None)
        overrides = self._attach_database(connection) | self._create_table_views(connection)
        self._tables = TableMap(overrides)

    def _attach_database(self, connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """Views over every table of ``engine.database`` (read-only), named schema.table."""
        database = self.settings.engine.database
        if database is None:
            return {}
        if not database.is_file():
            raise EngineError(
                f"engine.database {database} does not exist; fix the path in the settings",
                engine=self.name,
            )
        self._execute(self.statements("attach", path=database, alias=ATTACHED)[0], None)
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
            [ATTACHED],
        ).fetchall()
        tables += connection.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ?",
            [ATTACHED],
        ).fetchall()
        for schema, table in tables:
            self._create_view(
                connection,
                (schema, table),
                "attached_view",
                source=".".join(sql_identifier(part) for part in (ATTACHED, schema, table)),
            )
        return {}

    def _create_table_views(self, connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """A view per ``[tables]`` entry; a name taken twice gets a view of its own."""
        overrides: dict[str, str] = {}
        taken: dict[str, str] = {}
        for index, (name, source) in enumerate(sorted(self.settings.tables.items())):
            parts = tuple(part.strip("`") for part in name.split("."))
            local = TableMap().local_name(parts)
            if taken.get(local, source) != source:
                local = f"{OWN_VIEWS_SCHEMA}.table_{index}"
                overrides[name.strip("`")] = local
            taken[local] = source
            view = tuple(local.split("."))
            if is_parquet_source(source):
                self._create_view(connection, view, "parquet_view", path=source)
            else:
                self._create_view(connection, view, "attached_view", source=source)
        return overrides

    def _create_view(
        self,
        connection: duckdb.DuckDBPyConnection,
        name: tuple[str, ...],
        template: str,
        **context: Any,
    ) -> None:
        if len(name) > 1:
            self._execute(self.statements("create_schema", schema=sql_identifier(name[0]))[0], None)
        view = ".".join(sql_identifier(part) for part in name)
        self._execute(self.statements(template, view=view, **context)[0], None)

    def _client_counts(self, slug: str) -> dict[date, int]:
        statement = self.statements("count_clients", name=CLIENTS_TABLE)[0]
        try:
            return dict(self.connection.execute(statement).fetchall())
        except duckdb.Error as error:
            raise EngineError(str(error), project=slug, engine=self.name, sql=statement) from error

    def _publish(self, output: RunOutput) -> None:
        assert self._staging is not None
        for table in output.tables:
            for day in output.plan.run_dates:
                staged = Path(self.partition_path(table, day))
                self.store.publish_partition(table.table, day, staged)
        for table_name in output.cleared:
            for day in output.plan.run_dates:
                self.store.publish_partition(table_name, day, None)

    def _execute(self, statement: str, project: str | None) -> None:
        try:
            self.connection.execute(statement)
        except duckdb.Error as error:
            raise EngineError(
                _first_line(str(error)), project=project, engine=self.name, sql=statement
            ) from error


def _days_of(rows: Any) -> set[date]:
    return set(rows.column("submission_date").unique().to_pylist())


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message
