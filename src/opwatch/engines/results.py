"""The two halves of result handling an engine hands out: storing result tables, reading them.

An :class:`~opwatch.engines.base.Engine` renders and runs SQL. What it computed is kept by a
:class:`ResultWrites` (rows replaced partition by partition, a whole table swapped, one
writer at a time) and read back by a :class:`ResultReads` (the statistics step, detection,
the results reader behind the dashboards). They are separate objects because they vary
separately: the Parquet results DuckDB writes are read the same way whoever wrote them, a
dashboard server needs the reads and never a session that runs SQL, and a new engine
implements only the half it does differently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

COLUMN_KINDS = ("string", "date", "bool", "timestamp", "string[]", "json")
"""The engine-neutral column types :meth:`ResultWrites.replace_table` accepts."""


class ResultReads(ABC):
    """Reads result tables, named as written (``<slug>_scalar``), with the engine's templates."""

    @abstractmethod
    def statements(self, template: str, **context: Any) -> list[str]:
        """The statements of the read template ``template`` in this reader's dialect."""

    @abstractmethod
    def read(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` over the result tables.

        Reads never wait for a run and never see a partition half written. A read running
        longer than ``timeout`` seconds is cancelled with
        :class:`~opwatch.errors.ReadTimeoutError`.
        """

    @abstractmethod
    def read_columns(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Like :meth:`read`, column by column as numpy arrays (NULL → masked), for the
        statistics step, which reads millions of client values at a time."""

    @abstractmethod
    def has_results(self, table: str) -> bool:
        """Whether result table ``table`` holds any rows."""

    def serve_requests(self) -> None:  # noqa: B027 - most readers have nothing to tune
        """Reads will come from a server's threads at once (not from one run): a reader
        that divides its cores between queries gives each query a share."""

    def table_version(self, table: str) -> str | None:
        """A token that changes whenever ``table`` does (None: unknown, do not cache)."""
        return None

    def serving_facts(self, table: str) -> dict[str, Any] | None:
        """What :meth:`ResultWrites.write_serving` recorded of ``table`` when it is current
        (None: no current serving copy; readers then ask the table itself)."""
        return None

    def close(self) -> None:  # noqa: B027 - readers without a session have nothing to close
        """Release what the reads hold (sessions, sorted copies)."""


class ResultWrites(ABC):
    """Stores result tables: partitions replaced atomically, by one writer at a time."""

    @abstractmethod
    def write_rows(
        self, table: str, rows: Any, days: tuple[date, ...], order_by: tuple[str, ...] = ()
    ) -> None:
        """Replace ``table``'s partitions of ``days`` by ``rows`` (a pyarrow Table with a
        ``submission_date`` column), sorted by ``order_by``; a day without rows loses its
        partition."""

    @abstractmethod
    def write_table(self, table: str, rows: Any) -> None:
        """Replace the whole of unpartitioned ``table`` by ``rows`` (a pyarrow Table, possibly
        empty: the table then has no rows, but keeps its columns)."""

    @abstractmethod
    def replace_table(
        self, table: str, rows: list[dict[str, Any]], key: str, columns: dict[str, str]
    ) -> None:
        """Replace the rows of ``table`` whose ``key`` is among ``rows``' (``projects_v1``).

        ``columns`` maps each column to one of :data:`COLUMN_KINDS`.
        """

    def write_serving(  # noqa: B027 - engines that read tables in place need no copy
        self,
        table: str,
        order_by: tuple[str, ...],
        facets: tuple[str, ...],
        latest_only: bool,
        series: tuple[str, str] = ("metric", "statistic"),
        packed: PackedLists | None = None,
    ) -> None:
        """Publish ``table``'s serving copy, unless the current one is of its version: its
        rows (``latest_only``: those of the latest ``submission_date``; ``packed``: its
        packed rows expanded into rows) numbered by distinct ``series`` values (column
        ``serving_series``) and sorted by that number, then ``order_by``, for point reads;
        and its facts — the first and last day and the row count of the table, per column of
        ``facets`` each value with its rows and its rows with a ``comparison`` (the most
        common first), and the number of each series (``{first: {second: number}}``)."""

    @abstractmethod
    def writer_lock(self) -> AbstractContextManager[None]:
        """Held while a run writes results: one writer at a time."""

    def close(self) -> None:  # noqa: B027 - writers without a session have nothing to close
        """Release the writer's session."""


@dataclass(frozen=True)
class PackedLists:
    """How a table packs values into lists (the statistics' unconfigured percentiles): rows
    whose ``marker`` column is ``marker_value`` hold, in each list column, the values of the
    number column it stands for, at positions 1 … ``size`` (NULL: no value there). A serving
    copy stores them expanded, a row per value whose ``marker`` is its position, so that a
    point read filters rows instead of opening lists; the list columns stay, NULL, so a copy
    has its table's columns."""

    marker: str
    marker_value: str
    size: int
    lists: tuple[tuple[str, str], ...]
    """(list column, number column) pairs."""


def plain_value(value: Any) -> Any:
    """A value of :meth:`ResultReads.read_columns` as Python: numpy scalars unwrapped, NULL
    (masked) and NaN as None."""
    if value is np.ma.masked or value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
