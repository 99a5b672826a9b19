"""Client-level histogram normalization, as the ETL really runs it: the DuckDB macro.

Each client weighs 1 in a population distribution however many pings it sent, so its histograms
of a day are summed per bucket and divided by its total. The expected shares were computed by
hand and are stored as exact fractions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from opwatch.engines.compat import compat_statements
from tests.conformance import cases, exact, load_vectors

NORMALIZATION = load_vectors("normalization")
RELATIVE_TOLERANCE = 1e-15


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for statement in compat_statements("duckdb"):
        connection.execute(statement)
    yield connection
    connection.close()


def normalized(
    con: duckdb.DuckDBPyConnection, histograms: list[dict[str, int]], key_type: str
) -> list[dict[str, Any]] | None:
    """``opwatch_normalized_histogram`` of histograms shaped as the clients template builds
    them: a list of structs whose ``values`` are (key, value) pairs."""
    argument = [{"values": [{"key": k, "value": v} for k, v in h.items()]} for h in histograms]
    shape = f'STRUCT("values" STRUCT(key {key_type}, value BIGINT)[])[]'
    sql = f"SELECT opwatch_normalized_histogram(CAST(CAST(? AS JSON) AS {shape}))"
    row = con.execute(sql, [json.dumps(argument)]).fetchone()
    assert row is not None
    result: list[dict[str, Any]] | None = row[0]
    return result


@pytest.mark.parametrize("key_type", ["VARCHAR", "BIGINT"])
@pytest.mark.parametrize("vector", cases(NORMALIZATION, "histograms"))
def test_normalized_histogram(
    con: duckdb.DuckDBPyConnection, vector: dict[str, Any], key_type: str
) -> None:
    """Keys come as numeric strings (Glean) or integers (legacy ``hist.extract``); the result
    is sorted by numeric key, its shares exact to 1e-15, or NULL when there is nothing to share."""
    result = normalized(con, vector["histograms"], key_type)
    if vector["expected"] is None:
        assert result is None
        return
    assert result is not None
    expected = sorted((int(key), exact(share)) for key, share in vector["expected"].items())
    assert [entry["key"] for entry in result] == [key for key, _ in expected]
    for entry, (key, share) in zip(result, expected, strict=True):
        assert math.isclose(entry["value"], share, rel_tol=RELATIVE_TOLERANCE, abs_tol=0), key
