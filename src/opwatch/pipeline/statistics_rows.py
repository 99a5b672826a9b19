"""The rows of ``<slug>_statistics`` as they are computed, turned into an Arrow table.

A project-day can have millions of values (every integer percentile of every metric of every
group), most of whose columns repeat: group keys, names, the percentile list. Those are kept as
runs of codes into their distinct values, numbers as the statistics' own arrays, and both are
materialized once, at the end.

Values a statistic does not keep as rows (:meth:`Statistic.row_parameters`: the percentiles a
project did not configure, there for the dashboard's percentile control) are *packed*: one row
per group and statistic whose ``parameter`` is :data:`PACKED_PARAMETER` and whose ``points``,
``lowers`` and ``uppers`` lists hold percentile ``i`` at position ``i`` (1 … 99, SQL's 1-based
indexes), as 4-byte floats (7 significant digits, far finer than any interval), NULL where the
value is a row of its own or has none. The rows of a project-day fall about sevenfold and its
bytes by half; the results reader expands the lists back into rows when asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from opwatch.engines.results import PackedLists
from opwatch.stats.intervals import Estimates

LABEL_COLUMNS = ("metric", "statistic", "parameter", "comparison")
NUMBER_COLUMNS = ("point", "lower", "upper")
"""Columns after the group keys (submission_date, build_id, dimensions, branch)."""
PACKED_COLUMNS = ("points", "lowers", "uppers")
"""The list columns of packed rows (NULL in the others), after :data:`NUMBER_COLUMNS`."""
PACKED_PARAMETER = "*"
PACKED_SIZE = 99
"""Positions of a packed list: the integer percentiles 1 … 99."""
PACKED_LISTS = PackedLists(
    "parameter",
    PACKED_PARAMETER,
    PACKED_SIZE,
    tuple(zip(PACKED_COLUMNS, NUMBER_COLUMNS, strict=True)),
)
"""The format, as the engines' serving copies expand it."""


class _LabelColumn:
    """A column of few distinct values (keys, names, parameters) collected as runs of indexes
    into its distinct values: appending a run costs two integers, not an object per row."""

    def __init__(self) -> None:
        self.distinct: dict[Any, int] = {}
        self.known: dict[tuple[Any, ...], list[int]] = {}
        self.codes: list[int] = []
        self.counts: list[int] = []

    def run(self, value: Any, count: int) -> None:
        """``count`` rows of ``value``."""
        self.codes.append(self.distinct.setdefault(value, len(self.distinct)))
        self.counts.append(count)

    def extend(self, values: Sequence[Any]) -> None:
        """One row per value (lists of values recur: a tuple's codes are looked up once)."""
        key = tuple(values)
        codes = self.known.get(key)
        if codes is None:
            codes = [self.distinct.setdefault(value, len(self.distinct)) for value in values]
            self.known[key] = codes
        self.codes += codes
        self.counts += [1] * len(values)

    def array(self, kind: pa.DataType) -> pa.Array:
        """The column, materialized."""
        values = pa.array(list(self.distinct), type=kind)
        indexes = np.repeat(np.asarray(self.codes, np.int32), np.asarray(self.counts, np.int64))
        return values.take(pa.array(indexes))


@dataclass
class Rows:
    """Statistics rows being collected, a batch of values at a time, as columns."""

    keys: tuple[str, ...]
    labels: dict[str, _LabelColumn] = field(default_factory=dict)
    numbers: dict[str, list[np.ndarray]] = field(default_factory=dict)
    packed: Rows | None = None
    """The packed rows, collected alike (their numbers are whole lists)."""

    def add(
        self,
        key: Sequence[Any],
        what: tuple[str, str],
        estimates: Estimates,
        comparison: str | None = None,
        rows_of: frozenset[str] | None = None,
    ) -> None:
        """The values of one statistic of one group (a comparison, if ``comparison``); with
        ``rows_of``, those of other parameters are packed (see the module's docstring)."""
        if rows_of is not None:
            estimates = self._pack(key, what, estimates, rows_of)
        n = len(estimates)
        if n == 0:
            return
        runs = zip((*self.keys, "metric", "statistic", "comparison"),
                   (*key, *what, comparison), strict=True)  # fmt: skip
        for name, value in runs:
            self._label(name).run(value, n)
        self._label("parameter").extend(estimates.parameters)
        for name, numbers in (
            ("point", estimates.points),
            ("lower", estimates.lower),
            ("upper", estimates.upper),
        ):
            self.numbers.setdefault(name, []).append(numbers)

    def _pack(
        self,
        key: Sequence[Any],
        what: tuple[str, str],
        estimates: Estimates,
        rows_of: frozenset[str],
    ) -> Estimates:
        """Pack the values of integer percentiles not in ``rows_of``; the rest stay rows."""
        packed, positions, kept = _packing(tuple(estimates.parameters), rows_of)
        if not positions.size:
            return estimates
        lists = np.full((len(NUMBER_COLUMNS), PACKED_SIZE), np.nan, dtype=np.float32)
        for row, numbers in enumerate((estimates.points, estimates.lower, estimates.upper)):
            lists[row, positions] = numbers[packed]
        if self.packed is None:
            self.packed = Rows(self.keys)
        self.packed._add_lists(key, what, lists)
        return estimates.take(kept)

    def _add_lists(self, key: Sequence[Any], what: tuple[str, str], lists: np.ndarray) -> None:
        runs = zip((*self.keys, "metric", "statistic"), (*key, *what), strict=True)
        for name, value in runs:
            self._label(name).run(value, 1)
        for name, numbers in zip(PACKED_COLUMNS, lists, strict=True):
            self.numbers.setdefault(name, []).append(numbers)

    def _label(self, name: str) -> _LabelColumn:
        column = self.labels.get(name)  # not setdefault: it would build a column per call
        if column is None:
            column = self.labels[name] = _LabelColumn()
        return column

    def table(self) -> pa.Table:
        """The rows, then the packed rows, as an Arrow table (NaN written as NULL; the schema
        is fixed)."""
        columns: dict[str, pa.Array] = self._label_arrays(LABEL_COLUMNS)
        for name in NUMBER_COLUMNS:
            parts = self.numbers.get(name, [])
            numbers = np.concatenate(parts) if parts else np.empty(0)
            columns[name] = pa.array(numbers, type=pa.float64(), mask=~np.isfinite(numbers))
        rows = len(columns["point"])
        for name in PACKED_COLUMNS:
            columns[name] = pa.nulls(rows, LIST_TYPE)
        table = pa.table(columns)
        if self.packed is None:
            return table
        return pa.concat_tables([table, self.packed._packed_table()])

    def _packed_table(self) -> pa.Table:
        columns = self._label_arrays(("metric", "statistic"))
        rows = len(columns["metric"])
        columns["parameter"] = pa.array([PACKED_PARAMETER] * rows, pa.string())
        columns["comparison"] = pa.nulls(rows, pa.string())
        for name in NUMBER_COLUMNS:
            columns[name] = pa.nulls(rows, pa.float64())
        for name in PACKED_COLUMNS:
            numbers = np.concatenate(self.numbers[name])
            offsets = pa.array(np.arange(0, numbers.size + 1, PACKED_SIZE, dtype=np.int32))
            values = pa.array(numbers, type=pa.float32(), mask=~np.isfinite(numbers))
            columns[name] = pa.ListArray.from_arrays(offsets, values, type=LIST_TYPE)
        order = (*self.keys, *LABEL_COLUMNS, *NUMBER_COLUMNS, *PACKED_COLUMNS)
        return pa.table({name: columns[name] for name in order})

    def _label_arrays(self, names: tuple[str, ...]) -> dict[str, pa.Array]:
        columns: dict[str, pa.Array] = {}
        for name in (*self.keys, *names):
            kind = pa.date32() if name == "submission_date" else pa.string()
            columns[name] = self._label(name).array(kind)
        return columns


LIST_TYPE = pa.list_(pa.float32())


@lru_cache(maxsize=1024)
def _packing(
    parameters: tuple[str | None, ...], rows_of: frozenset[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of ``parameters`` are packed (a mask), their list indexes (0-based), and the
    indexes of the others: computed once per parameter list, as every group of a statistic
    has the same one."""
    positions = np.asarray([_position(name, rows_of) for name in parameters], dtype=np.int64)
    packed = positions > 0
    return packed, positions[packed] - 1, np.flatnonzero(~packed)


def _position(parameter: str | None, rows_of: frozenset[str]) -> int:
    """The packed position of ``parameter`` (a percentile 1 … 99 not in ``rows_of``), else 0:
    a row of its own."""
    if parameter is None or parameter in rows_of:
        return 0
    return packed_position(parameter) or 0


def packed_position(parameter: str) -> int | None:
    """Where a packed list would hold ``parameter`` (``"7"`` → 7), None if it cannot (not
    an integer percentile 1 … 99, as the statistics name them)."""
    if not (parameter.isascii() and parameter.isdigit()) or parameter != str(int(parameter)):
        return None
    value = int(parameter)
    return value if 1 <= value <= PACKED_SIZE else None
