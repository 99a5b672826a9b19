"""The DuckDB engine's read side: one in-memory database that every read of results shares.

Reads come from a server's threads, each on a cursor of its own with one DuckDB thread
(DuckDB releases the GIL while a query runs, so they run in parallel up to the cores), or from
a run's statistics step, one at a time with the engine's threads. Each result table a query
names is a view, made again whenever the table's version token changes:

- over the table's **serving copy** when the run published one for the current version
  (``serving/<table>.duckdb``: the rows in a DuckDB file of their own, sorted by series),
  attached read-only. A chart reads ~40 rows out of millions; DuckDB's zone maps skip every
  row group but the one or two holding the series, so the cost follows the rows returned, not
  the table's size, and only the blocks read are cached (within ``memory_limit``). A new
  version is attached under a new name and the old one detached (a read still running on it
  finishes first);
- over the table's partition files otherwise (results of a run that has not published a copy
  yet, and every table but the statistics): correct, and slower on large tables.

Memory is bounded by ``memory_limit``. A server's reads never spill to disk (a point read
needs no spilling; a query that would is refused by DuckDB rather than filling a temporary
folder); a run's statistics reads spill to the temporary folder, as its session does. A
read given a ``timeout`` is interrupted when it runs out and raises :class:`ReadTimeoutError`.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from opwatch.engines.duckdb_errors import engine_error
from opwatch.engines.results import ResultReads
from opwatch.engines.storage import SERVING_ROWS, ResultStore
from opwatch.errors import ReadTimeoutError

Statements = Callable[..., list[str]]
"""Renders an engine template: ``statements(template, **context)``."""


class ReadDatabase(ResultReads):
    """The shared read database of one engine: a view per result table.

    It reads the Parquet files of a :class:`ResultStore`, whichever engine wrote them.
    """

    def __init__(
        self,
        store: ResultStore,
        statements: Statements,
        memory_limit: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.store = store
        self._statements = statements
        self.memory_limit = memory_limit
        self.threads = threads
        """DuckDB threads per query (None: every core): a run's statistics reads use the
        engine's threads; a server's reads one each (see :meth:`serve_requests`)."""
        self.spill_directory = tempfile.gettempdir()
        """Where a run's reads spill past ``memory_limit`` (a server's never spill: '')."""
        self._database: duckdb.DuckDBPyConnection | None = None
        self._made: dict[str, tuple[str, bool]] = {}
        """Table → the version its view was made at, and whether over the serving copy."""
        self._attached: dict[str, str] = {}
        """Table → the name its serving copy is attached under."""
        self._attachments = 0
        self._facts: dict[str, dict[str, Any]] = {}
        """Table → the facts of its serving copy last read."""
        self._has: dict[str, tuple[str, bool]] = {}
        """Table → the version it was looked at, and whether it had a data file then."""
        self._lock = threading.Lock()

    def statements(self, template: str, **context: Any) -> list[str]:
        """The engine's read template ``template``, rendered."""
        return self._statements(template, **context)

    @contextmanager
    def cursor(self, query: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on which every result table ``query`` names (its name appears in the
        text) is an up-to-date view."""
        tables = [name for name in self.store.names() if name in query]
        with self._lock:
            database = self._open()
            for table in tables:
                self._refresh(database, table)
            cursor = database.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def read(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` on a cursor of its own: reads run in parallel (a server's
        threads), and never touch a run's session."""
        with self.cursor(query) as reader:
            rows: list[tuple[Any, ...]] = _run(reader, query, parameters, timeout, _all_rows)
            return rows

    def read_columns(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Columns of ``query`` as numpy arrays, read as :meth:`read` reads."""
        with self.cursor(query) as reader:
            columns: dict[str, Any] = _run(reader, query, parameters, timeout, _columns)
            return columns

    def has_results(self, table: str) -> bool:
        """Whether ``table`` has a data file (looked for again when its version changes)."""
        version = self.store.version(table)
        if version is None:
            return False
        known = self._has.get(table)
        if known is None or known[0] != version:
            known = (version, self.store.has_table(table))
            self._has[table] = known
        return known[1]

    def table_version(self, table: str) -> str | None:
        """The result store's token for ``table`` (rewritten by every publish)."""
        return self.store.version(table)

    def serving_facts(self, table: str) -> dict[str, Any] | None:
        """The facts of ``table``'s serving copy, when it is current (read once per
        version)."""
        version = self.store.version(table)
        if version is None:
            return None
        known = self._facts.get(table)
        if known is not None and known.get("version") == version:
            return known
        facts = self.store.serving_facts(table)
        if facts is None or facts.get("version") != version:
            return None
        self._facts[table] = facts
        return facts

    def serve_requests(self) -> None:
        """One DuckDB thread per read (a server's threads read in parallel), and no spilling:
        a point read needs none, and a query that would is refused rather than filling a
        temporary folder. Reopens the database with that configuration if it is open."""
        self.close()
        with self._lock:
            self.threads, self.spill_directory = 1, ""

    def close(self) -> None:
        """Drop the database (views only: nothing to remove from disk)."""
        with self._lock:
            if self._database is not None:
                self._database.close()
            self._database, self._made, self._attached = None, {}, {}

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._database is None:
            # footers of unchanged files kept between reads
            config: dict[str, Any] = {"temp_directory": self.spill_directory}
            if self.threads:
                config["threads"] = self.threads
            if self.memory_limit:
                config["memory_limit"] = self.memory_limit
            self._database = duckdb.connect(":memory:", config=config)
            self._database.execute("SET parquet_metadata_cache = true")
        return self._database

    def _refresh(self, database: duckdb.DuckDBPyConnection, table: str) -> None:
        """Make ``table``'s view again if its files changed or its serving copy appeared."""
        version = self.store.version(table)
        if version is None:
            return
        made = self._made.get(table)
        if made == (version, True):
            return
        serving = self.serving_facts(table) is not None
        if made == (version, serving):
            return
        previous = self._attached.pop(table, None)
        if serving:
            self._attachments += 1
            alias = f"opwatch_serving_{self._attachments}"
            statements = self.statements(
                "serving_view",
                view=table,
                path=str(self.store.serving_file(table)),
                alias=alias,
                rows_table=SERVING_ROWS,
            )
            self._attached[table] = alias
        else:
            path = self.store.files_glob(table)
            statements = self.statements("parquet_view", view=table, path=path)
        if previous is not None:  # a read still running on it keeps it until it is done
            statements += self.statements("detach", alias=previous)
        for statement in statements:
            database.execute(statement)
        self._made[table] = (version, serving)


def _all_rows(cursor: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return cursor.fetchall()


def _columns(cursor: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return dict(cursor.fetchnumpy())


def _run(
    reader: duckdb.DuckDBPyConnection,
    query: str,
    parameters: list[Any] | None,
    timeout: float | None,
    fetch: Callable[[duckdb.DuckDBPyConnection], Any],
) -> Any:
    """``fetch`` of ``query`` run on ``reader``, interrupted after ``timeout`` seconds."""
    timer = None if timeout is None else threading.Timer(timeout, reader.interrupt)
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        return fetch(reader.execute(query, parameters or []))
    except duckdb.InterruptException:
        raise ReadTimeoutError(
            f"the read took longer than {timeout:g} s and was cancelled; try again, or raise "
            "serve.request_seconds"
        ) from None
    except duckdb.Error as error:
        raise engine_error(error, query) from error
    finally:
        if timer is not None:
            timer.cancel()
