"""DuckDB, the embedded default: one in-process session, results as partitioned Parquet.

Input tables come from the settings' ``[tables]`` (Parquet files or tables of an attached
DuckDB file), exposed as views under the names the translated SQL uses (``telemetry.main``).
A run materializes the per-client table in memory, writes each result partition to a staging
file, and only when every file of the run is written renames them over the old partitions
(:class:`~opwatch.engines.storage.ResultStore`). Rows computed in Python are stored by
:class:`~opwatch.engines.parquet_writes.ParquetWrites`, and every result is read back through
the shared :class:`~opwatch.engines.duckdb_reads.ReadDatabase`.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import duckdb
from sqlglot import exp

from opwatch.config.settings import Settings, is_parquet_source
from opwatch.engines.base import Engine, RunOutput, TableOutput
from opwatch.engines.duckdb_errors import engine_error
from opwatch.engines.duckdb_reads import ReadDatabase
from opwatch.engines.parquet_writes import ParquetWrites
from opwatch.engines.storage import ResultStore
from opwatch.errors import EngineError
from opwatch.sql.render import CLIENTS_TABLE
from opwatch.sql.translate import TableMap

ATTACHED = "opwatch_input"
"""Catalog name of ``engine.database`` when attached."""
OWN_VIEWS_SCHEMA = "opwatch_tables"
"""Schema of views whose natural name another mapping already took."""


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
        self._reads = ReadDatabase(
            self.store, self.statements, settings.engine.memory_limit, settings.engine.threads
        )
        self._results = ParquetWrites(self.store, self.statements, self._session_config())

    @property
    def reads(self) -> ReadDatabase:
        """Where results are read: by a run's statistics step with the engine's threads, or
        by a server's threads at once (after :meth:`ReadDatabase.serve_requests`)."""
        return self._reads

    @property
    def results(self) -> ParquetWrites:
        """Where rows computed in Python are stored, under the results folder's lock."""
        return self._results

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

    def close(self) -> None:
        """Close the sessions (results are files: nothing to flush)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._reads.close()
        self._results.close()

    def _session_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"temp_directory": tempfile.gettempdir()}
        if self.settings.engine.threads:
            config["threads"] = self.settings.engine.threads
        if self.settings.engine.memory_limit:
            config["memory_limit"] = self.settings.engine.memory_limit
        return config

    def _open(self) -> None:
        connection = duckdb.connect(":memory:", config=self._session_config())
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
                source=(ATTACHED, schema, table),
            )
        return {}

    def _create_table_views(self, connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """A view per ``[tables]`` entry; a name taken twice gets a view of its own. An entry
        that is not Parquet names a table as DuckDB writes one (``schema.table``, a part in
        double quotes if need be); the template quotes its parts again."""
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
                table = exp.to_table(source, dialect="duckdb")
                source_parts = tuple(part.name for part in table.parts)
                self._create_view(connection, view, "attached_view", source=source_parts)
        return overrides

    def _create_view(
        self,
        connection: duckdb.DuckDBPyConnection,
        name: tuple[str, ...],
        template: str,
        **context: Any,
    ) -> None:
        if len(name) > 1:
            self._execute(self.statements("create_schema", schema=name[0])[0], None)
        self._execute(self.statements(template, view=name, **context)[0], None)

    def _client_counts(self, slug: str) -> dict[date, int]:
        statement = self.statements("count_clients", name=CLIENTS_TABLE)[0]
        try:
            return dict(self.connection.execute(statement).fetchall())
        except duckdb.Error as error:
            raise engine_error(error, statement, slug) from error

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
            raise engine_error(error, statement, project) from error
