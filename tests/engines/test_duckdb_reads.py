"""The shared read database: views by default, sorted copies when asked, all kept current."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.config.settings import EngineSettings, Settings
from opwatch.engines.duckdb import DuckDBEngine
from opwatch.engines.duckdb_reads import ReadDatabase
from opwatch.engines.storage import ResultStore

FIRST_DAY = date(2026, 10, 1)
METRICS = [f"metric_{i:02d}" for i in range(12)]
ORDER: dict[str, tuple[str, ...]] = {"t_statistics": ("metric", "branch")}
QUERY = "SELECT metric, branch, submission_date, point FROM t_statistics WHERE metric = ?"


def publish_day(store: ResultStore, table: str, day: date, seed: int) -> None:
    """One day of rows (metrics in a shuffled order, so a copy must sort them)."""
    rng = random.Random(seed)
    rows = [(m, b, rng.random()) for m in METRICS for b in ("control", "treatment")]
    rng.shuffle(rows)
    with store.staging() as staging:
        staged = staging / "day.parquet"
        connection = duckdb.connect()
        connection.execute(
            "CREATE TABLE day (metric VARCHAR, branch VARCHAR, point DOUBLE, submission_date DATE)"
        )
        connection.executemany("INSERT INTO day VALUES (?, ?, ?, ?)", [(*r, day) for r in rows])
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
    reads: ReadDatabase,
    query: str,
    sorted_by: dict[str, tuple[str, ...]] | None = None,
    parameters: list[object] | None = None,
) -> list[tuple[object, ...]]:
    with reads.cursor(query, sorted_by) as cursor:
        return sorted(cursor.execute(query, parameters or []).fetchall())


def kind(reads: ReadDatabase, table: str) -> str | None:
    """ "table" or "view": what the read database holds under ``table``'s name."""
    with reads.cursor("SELECT 1") as cursor:
        tables = cursor.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
        ).fetchall()[0][0]
        views = cursor.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [table]
        ).fetchall()[0][0]
    return "table" if tables else "view" if views else None


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    store = ResultStore(tmp_path / "results")
    for offset in range(5):
        publish_day(store, "t_statistics", FIRST_DAY + timedelta(days=offset), seed=offset)
    return store


def reads_of(store: ResultStore, copies: int = 8) -> ReadDatabase:
    """The read database the engine makes, keeping ``copies`` copies."""
    engine = DuckDBEngine(Settings(engine=EngineSettings(results=store.root)))
    return ReadDatabase(store, engine.statements, copies=copies)


def test_a_sorted_copy_reads_the_same_rows_as_the_files(store: ResultStore) -> None:
    reads = reads_of(store)
    for metric in ("metric_00", "metric_07", "metric_11"):
        rows = read(reads, QUERY, ORDER, [metric])
        assert rows == expected(store, "t_statistics", metric)
        assert len(rows) == 5 * 2
    assert kind(reads, "t_statistics") == "table"
    reads.close()


def test_a_read_without_an_order_gets_a_view(store: ResultStore) -> None:
    reads = reads_of(store)
    assert read(reads, QUERY, None, ["metric_03"]) == expected(store, "t_statistics", "metric_03")
    assert kind(reads, "t_statistics") == "view"
    reads.close()


def test_a_copy_follows_a_new_partition_and_a_rewritten_one(store: ResultStore) -> None:
    reads = reads_of(store)
    read(reads, QUERY, ORDER, ["metric_01"])
    publish_day(store, "t_statistics", FIRST_DAY + timedelta(days=5), seed=50)
    publish_day(store, "t_statistics", FIRST_DAY, seed=99)  # the first day rewritten
    rows = read(reads, QUERY, ORDER, ["metric_01"])
    assert rows == expected(store, "t_statistics", "metric_01")
    assert len(rows) == 6 * 2
    reads.close()


def test_an_unordered_read_keeps_a_current_copy_and_replaces_a_stale_one(
    store: ResultStore,
) -> None:
    reads = reads_of(store)
    read(reads, QUERY, ORDER, ["metric_01"])
    extent = "SELECT min(submission_date), max(submission_date) FROM t_statistics"
    assert read(reads, extent) == [(FIRST_DAY, FIRST_DAY + timedelta(days=4))]
    assert kind(reads, "t_statistics") == "table"  # not rebuilt as a view for the extent
    publish_day(store, "t_statistics", FIRST_DAY + timedelta(days=5), seed=5)
    assert read(reads, extent) == [(FIRST_DAY, FIRST_DAY + timedelta(days=5))]
    assert kind(reads, "t_statistics") == "view"  # a stale copy is not rebuilt for it
    reads.close()


def test_only_the_most_recently_read_copies_are_kept(store: ResultStore) -> None:
    for table in ("a_statistics", "b_statistics"):
        publish_day(store, table, FIRST_DAY, seed=7)
    reads = reads_of(store, copies=2)
    for table in ("t_statistics", "a_statistics", "b_statistics"):
        query = f"SELECT count(*) FROM {table}"
        days = 5 if table == "t_statistics" else 1
        assert read(reads, query, {table: ("metric",)}) == [(2 * len(METRICS) * days,)]
    assert kind(reads, "t_statistics") is None  # dropped: the least recently read
    assert kind(reads, "a_statistics") == kind(reads, "b_statistics") == "table"
    rows = read(reads, QUERY, ORDER, ["metric_02"])
    assert rows == expected(store, "t_statistics", "metric_02")
    assert kind(reads, "a_statistics") is None
    reads.close()


def test_closing_removes_what_was_spilled(store: ResultStore) -> None:
    reads = reads_of(store)
    read(reads, QUERY, ORDER, ["metric_00"])
    spill = reads._spill
    assert spill is not None and spill.is_dir()
    reads.close()
    assert not spill.exists()
