"""The rows of ``<slug>_statistics`` as they are computed, turned into an Arrow table.

A project-day can have millions of values (every integer percentile of every metric of every
group), most of whose columns repeat: group keys, names, the percentile list. Those are kept as
runs of codes into their distinct values, numbers as the statistics' own arrays, and both are
materialized once, at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from opwatch.stats.intervals import Estimates

LABEL_COLUMNS = ("metric", "statistic", "parameter", "comparison")
NUMBER_COLUMNS = ("point", "lower", "upper")
"""Columns after the group keys (submission_date, build_id, dimensions, branch)."""


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

    def add(
        self,
        key: Sequence[Any],
        what: tuple[str, str],
        estimates: Estimates,
        comparison: str | None = None,
    ) -> None:
        """The values of one statistic of one group (a comparison, if ``comparison``)."""
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

    def _label(self, name: str) -> _LabelColumn:
        return self.labels.setdefault(name, _LabelColumn())

    def table(self) -> pa.Table:
        """The rows as an Arrow table (NaN written as NULL; the schema is fixed)."""
        columns: dict[str, pa.Array] = {}
        for name in (*self.keys, *LABEL_COLUMNS):
            kind = pa.date32() if name == "submission_date" else pa.string()
            columns[name] = self._label(name).array(kind)
        for name in NUMBER_COLUMNS:
            parts = self.numbers.get(name, [])
            numbers = np.concatenate(parts) if parts else np.empty(0)
            columns[name] = pa.array(numbers, type=pa.float64(), mask=~np.isfinite(numbers))
        return pa.table(columns)
