"""Where the embedded engine keeps result tables: Parquet files, one per day partition.

Layout under the results folder (``engine.results``)::

    tables/<table>/submission_date=YYYY-MM-DD/data.parquet    partitioned tables
    tables/<table>/data.parquet                              unpartitioned (projects_v1)
    serving/<table>.duckdb                                   a table sorted for point reads
    serving/<table>.json                                     its facts, and the version made from
    .staging/<run id>/...                                    files being written
    .lock                                                    held by the one writing process

Why files and not one DuckDB database: DuckDB lets one process write a database file and no
other process open it meanwhile, so the dashboard server could not read while a run writes.
Parquet files can be read by any number of processes. A partition is replaced by writing the
new file in ``.staging`` and renaming it over the old one (``rename(2)``, atomic on POSIX): a
reader sees the old partition or the new one, never half of one, and a failed or killed run
leaves the previous partition as it was.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from opwatch.errors import EngineError

PARTITION_COLUMN = "submission_date"
DATA_FILE = "data.parquet"
CHANGES_FILE = ".changes"
"""A token rewritten whenever a table's files are: readers compare it to know what to redo."""
SERVING_FOLDER = "serving"
SERVING_ROWS = "rows"
"""The table of a serving copy's database file."""


class ResultStore:
    """The folder of result tables, with atomic partition replacement."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tables = root / "tables"

    def table_dir(self, table: str) -> Path:
        """The folder of ``table``."""
        return self.tables / table

    def partition_file(self, table: str, day: date) -> Path:
        """The file holding ``table``'s rows of ``day``."""
        return self.table_dir(table) / f"{PARTITION_COLUMN}={day.isoformat()}" / DATA_FILE

    def table_file(self, table: str) -> Path:
        """The file of an unpartitioned table."""
        return self.table_dir(table) / DATA_FILE

    def serving_file(self, table: str) -> Path:
        """The serving copy of ``table``: its rows in a DuckDB file, sorted for point reads."""
        return self.root / SERVING_FOLDER / f"{table}.duckdb"

    def serving_facts_file(self, table: str) -> Path:
        """The facts of ``table``'s serving copy (JSON), with the table version it was made
        from: the copy is current while that version is the table's."""
        return self.root / SERVING_FOLDER / f"{table}.json"

    def serving_facts(self, table: str) -> dict[str, Any] | None:
        """The facts of ``table``'s serving copy as written (None: none, or unreadable)."""
        try:
            facts: dict[str, Any] = json.loads(self.serving_facts_file(table).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return facts

    def publish_serving(self, table: str, staged: Path, facts: Path) -> None:
        """Make ``staged`` the serving copy of ``table`` and ``facts`` its facts (the facts
        last: a reader trusts the copy only once the facts name the table's version)."""
        folder = self.root / SERVING_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        staged.replace(self.serving_file(table))
        facts.replace(self.serving_facts_file(table))

    def files_glob(self, table: str) -> str:
        """A glob matching every data file of ``table`` (for ``read_parquet``)."""
        if self.table_file(table).exists():
            return str(self.table_file(table))
        return str(self.table_dir(table) / f"{PARTITION_COLUMN}=*" / DATA_FILE)

    def table_names(self) -> list[str]:
        """Every table with data, sorted."""
        if not self.tables.is_dir():
            return []
        return sorted(path.name for path in self.tables.iterdir() if self.has_table(path.name))

    def names(self) -> list[str]:
        """Every table folder, with data or not (cheap: no file is looked for)."""
        return sorted(p.name for p in self.tables.iterdir()) if self.tables.is_dir() else []

    def has_table(self, table: str) -> bool:
        """Whether ``table`` has any data file."""
        directory = self.table_dir(table)
        return directory.is_dir() and any(directory.rglob(DATA_FILE))

    def version(self, table: str) -> str | None:
        """A token that changes whenever ``table``'s files do, None when it has none:
        readers cache what they derive by it. One small read (the token each publish
        writes); tables written before tokens existed are scanned (file count and latest
        modification)."""
        token = self.table_dir(table) / CHANGES_FILE
        try:
            return token.read_text()
        except FileNotFoundError:
            pass
        directory = self.table_dir(table)
        times = (
            [p.stat().st_mtime_ns for p in directory.rglob(DATA_FILE)] if directory.is_dir() else []
        )
        return f"{len(times)}:{max(times)}" if times else None

    def _mark_changed(self, table: str) -> None:
        """Write a new token for ``table`` (atomically, like the data)."""
        token = self.table_dir(table) / CHANGES_FILE
        staged = token.with_name(f"{CHANGES_FILE}.{uuid.uuid4().hex}")
        staged.write_text(uuid.uuid4().hex)
        staged.replace(token)

    def partitions(self, table: str) -> list[date]:
        """The days ``table`` holds, in order."""
        prefix = f"{PARTITION_COLUMN}="
        directory = self.table_dir(table)
        if not directory.is_dir():
            return []
        return sorted(
            date.fromisoformat(path.parent.name.removeprefix(prefix))
            for path in directory.glob(f"{prefix}*/{DATA_FILE}")
        )

    def publish_partition(self, table: str, day: date, staged: Path | None) -> None:
        """Make ``staged`` the partition of ``day`` (None removes the partition)."""
        target = self.partition_file(table, day)
        if staged is None:
            if target.exists():
                target.unlink()
                self._mark_changed(table)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.replace(target)
        self._mark_changed(table)

    def publish_table(self, table: str, staged: Path) -> None:
        """Make ``staged`` the whole of the unpartitioned ``table``."""
        target = self.table_file(table)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.replace(target)
        self._mark_changed(table)

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh staging folder on the same file system, removed afterwards."""
        folder = self.root / ".staging" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Exclusive right to write results; a second writer fails at once with a clear error."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise EngineError(
                    f"another opwatch process is writing results in {self.root}; "
                    "wait for it to finish (or point engine.results elsewhere)"
                ) from None
            self._remove_abandoned_staging()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_abandoned_staging(self) -> None:
        """Staging left by a killed run (only the lock holder may write, so none is live)."""
        shutil.rmtree(self.root / ".staging", ignore_errors=True)
