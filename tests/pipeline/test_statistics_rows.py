"""How statistics rows are stored: the percentiles a project did not configure, packed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from opwatch.pipeline.statistics_rows import PACKED_PARAMETER, Rows, packed_position
from opwatch.stats.intervals import Estimates

KEYS = ("submission_date", "build_id", "branch")
KEY = (date(2026, 10, 1), None, "control")


def percentiles(names: list[str]) -> Estimates:
    """Values a test can recognize: point p + 0.25 (exact in 4 bytes), bounds ± 1."""
    points = np.asarray([float(name) + 0.25 for name in names])
    return Estimates(names, points, points - 1, points + 1)


def test_unconfigured_integer_percentiles_are_packed_at_their_position() -> None:
    rows = Rows(KEYS)
    names = [str(p) for p in range(1, 100)] + ["99.9"]
    rows.add(KEY, ("m", "percentile"), percentiles(names), rows_of=frozenset({"50", "99.9"}))
    table = rows.table().to_pylist()
    own = [row for row in table if row["parameter"] != PACKED_PARAMETER]
    assert [(r["parameter"], r["point"], r["points"]) for r in own] == [
        ("50", 50.25, None),
        ("99.9", 100.15, None),
    ]
    [packed] = [row for row in table if row["parameter"] == PACKED_PARAMETER]
    assert packed["point"] is None and packed["comparison"] is None
    assert len(packed["points"]) == 99
    for p in range(1, 100):
        expected = None if p == 50 else (p + 0.25, p - 0.75, p + 1.25)
        found = (packed["points"][p - 1], packed["lowers"][p - 1], packed["uppers"][p - 1])
        assert (None if found[0] is None else found) == expected, p
    assert rows.table().schema.field("points").type == pa.list_(pa.float32())


def test_missing_values_and_missing_percentiles_are_null_in_the_lists() -> None:
    rows = Rows(KEYS)
    values = percentiles(["5", "6"])
    values.lower[0] = np.nan  # no interval
    rows.add(KEY, ("m", "percentile"), values, rows_of=frozenset())
    [packed] = rows.table().to_pylist()
    assert packed["points"][4:6] == [5.25, 6.25]
    assert packed["lowers"][4:6] == [None, 5.25]
    assert sum(value is not None for value in packed["points"]) == 2


def test_statistics_without_row_parameters_and_comparisons_stay_rows() -> None:
    rows = Rows(KEYS)
    rows.add(KEY, ("m", "histogram"), percentiles(["1", "2"]))  # buckets: rows_of None
    rows.add(KEY, ("m", "percentile"), percentiles(["7"]), comparison="difference")
    table = rows.table()
    assert table.column("parameter").to_pylist() == ["1", "2", "7"]
    assert table.column("points").null_count == 3


def test_only_canonical_integer_percentiles_have_a_position() -> None:
    assert [packed_position(p) for p in ("1", "42", "99")] == [1, 42, 99]
    for other in ("0", "100", "07", "²", "4.5", "-3", "", " 7"):
        assert packed_position(other) is None, other
