"""DuckDB's compatibility macros agree with independent Python versions of Mozilla's UDFs."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from opwatch.engines.compat import compat_function_names, compat_statements

SEED = 20261124


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for statement in compat_statements("duckdb"):
        connection.execute(statement)
    yield connection
    connection.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Any:
    return con.execute(sql, list(params)).fetchone()[0]  # type: ignore[index]


def random_histogram(rng: random.Random) -> dict[str, Any]:
    keys = sorted(rng.sample(range(0, 10_000), rng.randint(0, 12)))
    values = {str(k): rng.randint(0, 500) for k in keys}
    return {
        "bucket_count": rng.randint(3, 100),
        "histogram_type": rng.randint(0, 5),
        "sum": rng.randint(0, 10**9),
        "range": [1, rng.randint(2, 10**6)],
        "values": values,
    }


def test_every_macro_is_defined(con: duckdb.DuckDBPyConnection) -> None:
    names = compat_function_names("duckdb")
    assert len([name for name in names if not name.startswith("opwatch_")]) == 11
    defined = {
        row[0]
        for row in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro'"
        ).fetchall()
    }
    assert set(names) <= defined


def test_hist_extract_matches_the_json(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED)
    for _ in range(200):
        histogram = random_histogram(rng)
        extracted = one(con, "SELECT mozfun_hist_extract(?)", json.dumps(histogram))
        assert extracted["bucket_count"] == histogram["bucket_count"]
        assert extracted["histogram_type"] == histogram["histogram_type"]
        assert extracted["sum"] == histogram["sum"]
        assert extracted["range"] == histogram["range"]
        pairs = sorted((b["key"], b["value"]) for b in extracted["values"])
        assert pairs == sorted((int(k), v) for k, v in histogram["values"].items())


@pytest.mark.parametrize("bad", [None, "", "not json", "{broken"])
def test_hist_extract_of_nothing_is_null(con: duckdb.DuckDBPyConnection, bad: str | None) -> None:
    assert one(con, "SELECT mozfun_hist_extract(?)", bad) is None


def test_hist_threshold_count(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 1)
    for _ in range(200):
        histogram = random_histogram(rng)
        keys = [int(k) for k in histogram["values"]]
        threshold = rng.choice(keys) if keys and rng.random() < 0.5 else rng.randint(0, 10_000)
        expected = sum(v for k, v in histogram["values"].items() if int(k) >= threshold)
        got = one(con, "SELECT mozfun_hist_threshold_count(?, ?)", json.dumps(histogram), threshold)
        assert got == expected
    assert one(con, "SELECT mozfun_hist_threshold_count(NULL, 0)") == 0


def test_map_get_key_returns_the_first_match(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 2)
    for _ in range(100):
        entries = [
            {"key": rng.choice("abcde"), "value": rng.randint(0, 99)}
            for _ in range(rng.randint(0, 8))
        ]
        wanted = rng.choice("abcdef")
        expected = next((e["value"] for e in entries if e["key"] == wanted), None)
        for macro in ("mozfun_map_get_key", "udf_get_key"):
            literal = _struct_list_literal(entries, "BIGINT")
            assert one(con, f"SELECT {macro}({literal}, ?)", wanted) == expected


def test_keyed_histogram_get_sum(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 3)
    for _ in range(100):
        keyed = {key: random_histogram(rng) for key in rng.sample(["gpu", "gmplugin", "rdd"], 2)}
        entries = [{"key": k, "value": json.dumps(h)} for k, h in keyed.items()]
        wanted = rng.choice(["gpu", "gmplugin", "rdd"])
        expected = keyed[wanted]["sum"] if wanted in keyed else None
        literal = _struct_list_literal(entries, "VARCHAR")
        assert one(con, f"SELECT udf_keyed_histogram_get_sum({literal}, ?)", wanted) == expected


def test_extract_keyed_scalar_sum(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 4)
    for _ in range(100):
        entries = [
            {"key": f"k{i}", "value": rng.randint(0, 1000)} for i in range(rng.randint(1, 9))
        ]
        literal = _struct_list_literal(entries, "BIGINT")
        got = one(con, f"SELECT mozfun_map_extract_keyed_scalar_sum({literal})")
        assert got == sum(e["value"] for e in entries)


def test_bits28_days_since_seen(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 5)
    samples = [0, 1, 2, 1 << 27, 1 << 28, (1 << 28) | (1 << 5)]
    samples += [rng.getrandbits(rng.randint(1, 40)) for _ in range(300)]
    for bits in samples:
        low = bits & ((1 << 28) - 1)
        expected = next((day for day in range(28) if low >> day & 1), None)
        assert one(con, "SELECT mozfun_bits28_days_since_seen(?::BIGINT)", bits) == expected


# Mozilla's documented examples for fenix_build_to_datetime, as facts about its behaviour.
FENIX_EXAMPLES = {
    "21571434": datetime(2020, 6, 5, 14, 34),
    "00010000": datetime(2018, 1, 1, 0, 0),
    "93652359": datetime(2027, 12, 31, 23, 59),
    "2015757667": datetime(2020, 8, 13, 4, 0),
    "0000000000": datetime(2014, 12, 28, 0, 0),
    "0000000001": datetime(2014, 12, 28, 0, 0),
}


def fenix_build_time(build: str) -> datetime | None:
    """Independent reading of the two Fenix build-code formats."""
    if len(build) == 8 and build.isdigit() and build[4:6] < "24" and build[6:8] < "60":
        start = datetime(2018 + int(build[0]), 1, 1, int(build[4:6]), int(build[6:8]))
        return start + timedelta(days=int(build[1:4]) - 1)
    if len(build) == 10 and build.isdigit():
        return datetime(2014, 12, 28) + timedelta(hours=(int(build) >> 3) & 0x1FFFF)
    return None


@pytest.mark.parametrize(("build", "expected"), FENIX_EXAMPLES.items())
def test_fenix_build_documented_examples(
    con: duckdb.DuckDBPyConnection, build: str, expected: datetime
) -> None:
    assert one(con, "SELECT mozfun_norm_fenix_build_to_datetime(?)", build) == expected


def test_fenix_build_random_codes(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 6)
    codes = [
        f"{rng.randint(0, 9)}{rng.randint(1, 366):03d}{rng.randint(0, 29):02d}"
        f"{rng.randint(0, 69):02d}"
        for _ in range(200)
    ]
    codes += [str(rng.randint(10**9, 2**31 - 1)) for _ in range(200)] + ["", "12a45678", "123"]
    for code in codes:
        assert one(con, "SELECT mozfun_norm_fenix_build_to_datetime(?)", code) == (
            fenix_build_time(code)
        ), code


@pytest.mark.parametrize(
    ("os", "expected"),
    [
        ("Windows_NT", "Windows"),
        ("WINNT", "Windows"),
        ("Darwin", "Mac"),
        ("Linux", "Linux"),
        ("FreeBSD", "Linux"),
        ("Android", "Android"),
        ("iOS", "iOS"),
        ("iPhone OS", "iOS"),
        ("BeOS", "Other"),
        (None, None),
    ],
)
def test_norm_os(con: duckdb.DuckDBPyConnection, os: str | None, expected: str | None) -> None:
    assert one(con, "SELECT mozfun_norm_os(?)", os) == expected


@pytest.mark.parametrize(
    ("os", "version", "build", "expected"),
    [
        ("Windows_NT", "10.0", 22631, "Windows 11"),
        ("Windows_NT", "10.0", 19045, "Windows 10"),
        ("Windows_NT", "10.0", None, "Windows 10"),
        ("Windows_NT", "6.1", 7601, "Windows 7"),
        ("Windows_NT", "6.3", 9600, "Windows 8.1"),
        ("Windows_NT", "5.1", None, "Windows XP"),
        ("Windows_98", None, None, "Windows 98"),
        ("Darwin", "10.0", None, None),
    ],
)
def test_windows_version_info(
    con: duckdb.DuckDBPyConnection,
    os: str,
    version: str | None,
    build: int | None,
    expected: str | None,
) -> None:
    sql = "SELECT mozfun_norm_windows_version_info(?, ?, ?::BIGINT)"
    assert one(con, sql, os, version, build) == expected


def _struct_list_literal(entries: list[dict[str, Any]], value_type: str) -> str:
    """A DuckDB literal ``[{'key': 'a', 'value': 1}, ...]`` typed STRUCT(key, value)[]."""
    items = ", ".join(
        "{'key': "
        + _quote(e["key"])
        + ", 'value': "
        + (_quote(e["value"]) if isinstance(e["value"], str) else str(e["value"]))
        + "}"
        for e in entries
    )
    return f"CAST([{items}] AS STRUCT(key VARCHAR, value {value_type})[])"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_glam_histogram_normalized_sum(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED + 9)
    for _ in range(100):
        entries = [
            {"key": str(rng.choice([0, 1, 5, 17, 250])), "value": rng.randint(0, 50)}
            for _ in range(rng.randint(1, 12))
        ]
        weight = rng.choice([1.0, 0.5, 3.0])
        result = one(con, "SELECT mozfun_glam_histogram_normalized_sum(?, ?)", entries, weight)
        total = sum(e["value"] for e in entries)
        sums: dict[str, int] = {}
        for entry in entries:
            sums[entry["key"]] = sums.get(entry["key"], 0) + entry["value"]
        expected = {k: (v / total * weight if total else None) for k, v in sums.items()}
        assert {r["key"]: r["value"] for r in result} == pytest.approx(expected, rel=1e-12)


def test_normalized_histogram_sums_a_clients_histograms_then_divides(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rng = random.Random(SEED + 10)
    for _ in range(100):
        histograms = [random_histogram(rng) for _ in range(rng.randint(1, 4))]
        extracted = "[" + ", ".join("mozfun_hist_extract(?)" for _ in histograms) + "]"
        result = one(
            con, f"SELECT opwatch_normalized_histogram({extracted})", *map(json.dumps, histograms)
        )
        sums: dict[int, int] = {}
        for histogram in histograms:
            for key, value in histogram["values"].items():
                sums[int(key)] = sums.get(int(key), 0) + value
        total = sum(sums.values())
        if total == 0:
            assert result is None
            continue
        assert [r["key"] for r in result] == sorted(sums)
        assert [r["value"] for r in result] == pytest.approx(
            [sums[k] / total for k in sorted(sums)], abs=1e-15
        )
        assert sum(r["value"] for r in result) == pytest.approx(1.0, abs=1e-12)


def test_normalized_histogram_reads_glean_string_keys(con: duckdb.DuckDBPyConnection) -> None:
    distributions = [
        {"sum": 10, "values": [{"key": "1", "value": 2}, {"key": "16", "value": 6}]},
        {"sum": 3, "values": [{"key": "16", "value": 2}]},
    ]
    result = one(con, "SELECT opwatch_normalized_histogram(?)", distributions)
    assert result == [{"key": 1, "value": 0.2}, {"key": 16, "value": 0.8}]
    assert one(con, "SELECT opwatch_normalized_histogram([])") is None
