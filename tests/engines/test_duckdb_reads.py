"""The shared read database: views over the serving copy when it is current, else over
the partitions; reads cancelled past their time."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.config.settings import EngineSettings, Settings
from opwatch.engines.duckdb import DuckDBEngine
from opwatch.engines.duckdb_reads import ReadDatabase
from opwatch.engines.storage import ResultStore
from opwatch.errors import EngineError, ReadTimeoutError

FIRST_DAY = date(2026, 10, 1)
METRICS = [f"metric_{i:02d}" for i in range(12)]
QUERY = "SELECT metric, branch, submission_date, point FROM t_statistics WHERE metric = ?"


def publish_day(store: ResultStore, table: str, day: date, seed: int) -> None:
    """One day of rows (metrics in a shuffled order, so a copy must sort them)."""
    rng = random.Random(seed)
    rows = [(m, b, rng.random()) for m in METRICS for b in ("control", "treatment")]
    compared = {("metric_00", "treatment")}  # compared to control
    rng.shuffle(rows)
    with store.staging() as staging:
        staged = staging / "day.parquet"
        connection = duckdb.connect()
        connection.execute(
            "CREATE TABLE day (metric VARCHAR, branch VARCHAR, point DOUBLE, "
            "submission_date DATE, comparison VARCHAR)"
        )
        connection.executemany(
            "INSERT INTO day VALUES (?, ?, ?, ?, ?)",
            [(*r, day, "difference" if r[:2] in compared else None) for r in rows],
        )
        connection.execute(f"COPY day TO '{staged}' (FORMAT parquet)")
        connection.close()
        store.publish_partition(table, day, staged)


def expected(store: ResultStore, table: str, metric: str) -> list[tuple[object, ...]]:
    """The rows of ``metric`` read straight from the files by a fresh DuckDB."""
    files = store.files_glob(table)
    return sorted(
        duckdb.connect()
        .execute(
            "SELECT metric, branch, submission_date, point FROM read_parquet(?) WHERE metric = ?",
            [files, metric],
        )
        .fetchall()
    )


def read(
    reads: ReadDatabase, query: str, parameters: list[object] | None = None
) -> list[tuple[object, ...]]:
    with reads.cursor(query) as cursor:
        return sorted(cursor.execute(query, parameters or []).fetchall())


def view_source(reads: ReadDatabase, table: str) -> str:
    """The SQL of the view the read database holds under ``table``'s name."""
    with reads.cursor(f"SELECT 1 FROM {table} LIMIT 0") as cursor:
        return str(
            cursor.execute(
                "SELECT sql FROM duckdb_views() WHERE view_name = ?", [table]
            ).fetchall()[0][0]
        )


def copy_rows(store: ResultStore, columns: str) -> list[tuple[object, ...]]:
    """``columns`` of the serving copy of ``t_statistics``, in its order, read by a fresh
    DuckDB."""
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{store.serving_file('t_statistics')}' AS copy (READ_ONLY)")
    return connection.execute(f"SELECT {columns} FROM copy.rows").fetchall()


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    store = ResultStore(tmp_path / "results")
    for offset in range(5):
        publish_day(store, "t_statistics", FIRST_DAY + timedelta(days=offset), seed=offset)
    return store


def engine_of(store: ResultStore) -> DuckDBEngine:
    return DuckDBEngine(Settings(engine=EngineSettings(results=store.root)))


def reads_of(store: ResultStore) -> ReadDatabase:
    """The read database the engine makes."""
    return ReadDatabase(store, engine_of(store).statements)


def serve(store: ResultStore, latest_only: bool = False) -> None:
    """Publish the serving copy of ``t_statistics`` as a run does."""
    writes = engine_of(store).results
    writes.write_serving(
        "t_statistics",
        order_by=("metric", "branch"),
        facets=("branch",),
        latest_only=latest_only,
        series=("metric", "branch"),
    )
    writes.close()


def test_without_a_serving_copy_reads_go_to_the_partitions(store: ResultStore) -> None:
    reads = reads_of(store)
    assert read(reads, QUERY, ["metric_03"]) == expected(store, "t_statistics", "metric_03")
    assert "submission_date=*" in view_source(reads, "t_statistics")
    assert reads.serving_facts("t_statistics") is None
    reads.close()


def test_a_serving_copy_holds_the_same_rows_sorted_with_its_facts(store: ResultStore) -> None:
    serve(store)
    reads = reads_of(store)
    for metric in ("metric_00", "metric_07", "metric_11"):
        rows = read(reads, QUERY, [metric])
        assert rows == expected(store, "t_statistics", metric)
        assert len(rows) == 5 * 2
    assert "serving" in view_source(reads, "t_statistics")
    in_file = copy_rows(store, "metric, branch")
    assert in_file == sorted(in_file)  # sorted by metric, then branch
    facts = reads.serving_facts("t_statistics")
    assert facts is not None
    assert (facts["first_day"], facts["last_day"]) == ("2026-10-01", "2026-10-05")
    assert facts["rows"] == 5 * 2 * len(METRICS)
    assert sorted(facts["facets"]["branch"]) == [["control", 60, 0], ["treatment", 60, 5]]
    reads.close()


def test_a_build_id_copy_holds_the_latest_day_only(store: ResultStore) -> None:
    serve(store, latest_only=True)
    days = copy_rows(store, "DISTINCT submission_date")
    assert days == [(FIRST_DAY + timedelta(days=4),)]


def test_a_stale_copy_is_not_read_and_a_current_one_is_not_rewritten(store: ResultStore) -> None:
    serve(store)
    reads = reads_of(store)
    read(reads, QUERY, ["metric_01"])
    written = store.serving_file("t_statistics").stat().st_mtime_ns
    serve(store)  # nothing changed: nothing rewritten
    assert store.serving_file("t_statistics").stat().st_mtime_ns == written
    publish_day(store, "t_statistics", FIRST_DAY + timedelta(days=5), seed=50)
    publish_day(store, "t_statistics", FIRST_DAY, seed=99)  # the first day rewritten
    rows = read(reads, QUERY, ["metric_01"])  # the copy is stale: the partitions answer
    assert rows == expected(store, "t_statistics", "metric_01") and len(rows) == 6 * 2
    assert "submission_date=*" in view_source(reads, "t_statistics")
    serve(store)
    assert read(reads, QUERY, ["metric_01"]) == rows
    assert "serving" in view_source(reads, "t_statistics")
    reads.close()


def test_a_read_past_its_time_is_cancelled(store: ResultStore) -> None:
    reads = reads_of(store)
    slow = "SELECT count(*) FROM range(10000000000) a WHERE a.range % 7 = 3"
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError, match=r"longer than 0\.3 s"):
        reads.read(slow, timeout=0.3)
    assert time.monotonic() - started < 5
    assert reads.read("SELECT 42", timeout=0.3) == [(42,)]  # the database still answers
    reads.close()


def test_reads_leave_nothing_on_disk(store: ResultStore, tmp_path: Path) -> None:
    before = sorted(p for p in store.root.rglob("*"))
    reads = reads_of(store)
    read(reads, QUERY, ["metric_00"])
    reads.close()
    assert sorted(p for p in store.root.rglob("*")) == before


def test_a_runs_reads_spill_past_the_limit_and_a_servers_are_refused(store: ResultStore) -> None:
    """The statistics step's reads group a day's clients: past ``memory_limit`` they spill to
    the temporary folder, as the run's session does. A server's reads (one thread each) are
    point reads: one that would need to spill is refused instead."""
    large = "SELECT count(*) FROM (SELECT DISTINCT range FROM range(8000000))"
    reads = ReadDatabase(store, engine_of(store).statements, memory_limit="64MB", threads=2)
    assert reads.read("SELECT current_setting('threads')") == [(2,)]
    assert reads.read(large) == [(8_000_000,)]
    reads.serve_requests()
    assert reads.read("SELECT current_setting('threads')") == [(1,)]
    with pytest.raises(EngineError, match=r"[Oo]ut of [Mm]emory"):
        reads.read(large)
    reads.close()
