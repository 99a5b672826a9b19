"""The DuckDB engine's read side: one in-memory database that every read of results shares.

Reads come from a server's threads, each on a cursor of its own. Each result table a query
names is exposed under its own name, made again whenever the table's version token changes:

- as a view over its Parquet files, by default;
- as a **sorted in-memory copy** when a reader said it filters the table by leading columns
  (``sorted_by``). A dashboard's statistics read touches about 40 rows of a
  million, spread over one file per day: over the files it costs one footer and one row group
  per day (13 ms for 28 days), over a copy sorted by metric DuckDB's zone maps skip all but a
  row group or two (2 ms). The copy costs one full read when the table changes (0.6 s for a
  million rows), and memory: beyond ``memory_limit`` DuckDB spills it to a private temporary
  folder, and only the ``copies`` most recently read tables are kept.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from opwatch.engines.duckdb_errors import engine_error
from opwatch.engines.results import ResultReads
from opwatch.engines.storage import ResultStore

READ_COPIES = 8
"""Sorted copies kept at once; the least recently read table beyond goes back to a view."""

Statements = Callable[..., list[str]]
"""Renders an engine template: ``statements(template, **context)``."""


class ReadDatabase(ResultReads):
    """The shared read database of one engine: views and sorted copies of result tables.

    It reads the Parquet files of a :class:`ResultStore`, whichever engine wrote them.
    """

    def __init__(
        self,
        store: ResultStore,
        statements: Statements,
        memory_limit: str | None = None,
        copies: int = READ_COPIES,
    ) -> None:
        self.store = store
        self._statements = statements
        self.memory_limit = memory_limit
        self.copies = copies
        self._database: duckdb.DuckDBPyConnection | None = None
        self._spill: Path | None = None
        self._made: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        """Table → the version it was made at, and the order of its copy (None: a view)."""
        self._recent: OrderedDict[str, None] = OrderedDict()
        """Tables held as copies, the most recently read last."""
        self._lock = threading.Lock()

    def statements(self, template: str, **context: Any) -> list[str]:
        """The engine's read template ``template``, rendered."""
        return self._statements(template, **context)

    @contextmanager
    def cursor(
        self, query: str, sorted_by: Mapping[str, Sequence[str]] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on which every result table ``query`` names (its name appears in the
        text) is up to date; the tables of ``sorted_by`` as copies sorted by its columns
        (unquoted names), which the query filters by."""
        tables = [name for name in self.store.names() if name in query]
        with self._lock:
            database = self._open()
            for table in tables:
                order = (sorted_by or {}).get(table)
                self._refresh(database, table, None if order is None else tuple(order))
            cursor = database.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def read(
        self,
        query: str,
        parameters: list[Any] | None = None,
        *,
        sorted_by: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` on a cursor of its own: reads run in parallel (a server's
        threads), and never touch a run's session."""
        with self.cursor(query, sorted_by) as reader:
            return _executed(reader, query, parameters).fetchall()

    def read_columns(self, query: str, parameters: list[Any] | None = None) -> dict[str, Any]:
        """Columns of ``query`` as numpy arrays, read as :meth:`read` reads."""
        with self.cursor(query) as reader:
            return dict(_executed(reader, query, parameters).fetchnumpy())

    def has_results(self, table: str) -> bool:
        """Whether ``table`` has a data file."""
        return self.store.has_table(table)

    def table_version(self, table: str) -> str | None:
        """The result store's token for ``table`` (rewritten by every publish)."""
        return self.store.version(table)

    def close(self) -> None:
        """Drop the database and its spilled copies."""
        with self._lock:
            if self._database is not None:
                self._database.close()
            if self._spill is not None:
                shutil.rmtree(self._spill, ignore_errors=True)
            self._database, self._spill = None, None
            self._made, self._recent = {}, OrderedDict()

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._database is None:
            self._spill = Path(tempfile.mkdtemp(prefix="opwatch-reads-"))
            # one DuckDB thread per read (the server's threads read in parallel), footers of
            # unchanged files kept between reads, copies spilled to a folder of our own
            config: dict[str, Any] = {"threads": 1, "temp_directory": str(self._spill)}
            if self.memory_limit:
                config["memory_limit"] = self.memory_limit
            self._database = duckdb.connect(":memory:", config=config)
            self._database.execute("SET parquet_metadata_cache = true")
        return self._database

    def _refresh(
        self, database: duckdb.DuckDBPyConnection, table: str, order: tuple[str, ...] | None
    ) -> None:
        """Make ``table`` again if its files changed, or as a copy if ``order`` asks for one
        it does not have. A read that wants no order uses whatever is current: a copy made
        for the dashboards is not rebuilt for the home page's extent of the table."""
        version = self.store.version(table)
        if version is None:
            return
        made = self._made.get(table)
        current = made is not None and made[0] == version
        if order is None and current:
            return
        if order is None or made != (version, order):
            self._drop(database, table)
            template = "parquet_view" if order is None else "sorted_copy"
            for statement in self.statements(
                template,
                view=table,
                path=self.store.files_glob(table),
                order_by=order or (),
            ):
                database.execute(statement)
            self._made[table] = (version, order)
        if order is not None:
            self._recent[table] = None
            self._recent.move_to_end(table)
            while len(self._recent) > self.copies:
                oldest, _ = self._recent.popitem(last=False)
                self._drop(database, oldest)

    def _drop(self, database: duckdb.DuckDBPyConnection, table: str) -> None:
        made = self._made.pop(table, None)
        self._recent.pop(table, None)
        if made is not None:
            for statement in self.statements("drop_read", table=table, view=made[1] is None):
                database.execute(statement)


def _executed(
    reader: duckdb.DuckDBPyConnection, query: str, parameters: list[Any] | None
) -> duckdb.DuckDBPyConnection:
    try:
        return reader.execute(query, parameters or [])
    except duckdb.Error as error:
        raise engine_error(error, query) from error
