"""The DuckDB engine reads input tables from Parquet files or from an attached DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from opwatch.config import load_project
from opwatch.config.settings import Settings
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.errors import EngineError
from opwatch.pipeline import open_runner
from tests.conftest import all_tables, days, settings_for


def test_an_attached_database_gives_the_same_results_as_parquet_files(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        for schema, table, source in (
            ("telemetry_stable", "main_v5", "mozdata.telemetry.main"),
            ("telemetry", "crash", "mozdata.telemetry.crash"),
        ):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            connection.execute(
                f"CREATE TABLE {schema}.{table} AS SELECT * FROM read_parquet(?)",
                [telemetry.tables[source]],
            )
    project = load_project(demo_project_path())
    from_files, from_database = tmp_path / "files", tmp_path / "database"
    with open_runner(settings_for(telemetry, from_files)) as runner:
        assert runner.run([project], days(telemetry)[:3]).ok
    attached = Settings.model_validate(
        {"engine": {"results": str(from_database), "database": str(database)}}
    )
    with open_runner(attached) as runner:
        assert runner.run([project], days(telemetry)[:3]).ok
    assert all_tables(from_database) == all_tables(from_files)
    assert len(all_tables(from_files)["opwatch_demo_scalar"]) > 100


def test_a_missing_database_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"engine": {"results": str(tmp_path / "r"), "database": str(tmp_path / "none.duckdb")}}
    )
    with open_runner(settings) as runner, pytest.raises(EngineError, match="does not exist"):
        runner.engine.table_map()


def test_results_are_read_back_by_table_name(telemetry: GeneratedData, tmp_path: Path) -> None:
    results = tmp_path / "results"
    project = load_project(demo_project_path())
    with open_runner(settings_for(telemetry, results)) as runner:
        assert runner.run([project], days(telemetry)[:2]).ok
        [(rows, clients)] = runner.engine.reads.read(
            "SELECT COUNT(*), COUNT(DISTINCT client_id) FROM opwatch_demo_scalar WHERE name = ?",
            ["uri_count"],
        )
        [(slug,)] = runner.engine.reads.read("SELECT slug FROM projects_v1")
        with pytest.raises(EngineError, match="no_such_table"):
            runner.engine.reads.read("SELECT * FROM no_such_table")
    assert rows == len(all_tables(results)["opwatch_demo_scalar"]) // 4 and clients > 20
    assert slug == "opwatch-demo"


def test_reads_during_a_run_see_whole_partitions(telemetry: GeneratedData, tmp_path: Path) -> None:
    """Recompute days while reading them: every read succeeds and sees complete partitions."""
    import subprocess
    import sys

    import tomli_w

    from tests.cli.helpers import opwatch

    (tmp_path / "opwatch.toml").write_text(
        tomli_w.dumps(
            {"engine": {"results": "results", "batch_days": 1}, "tables": telemetry.tables}
        )
    )
    first, last = str(days(telemetry)[0]), str(days(telemetry)[-1])
    arguments = ["backfill", "--start", first, "--end", last, "-p", "opwatch-demo", "-q"]
    assert opwatch(*arguments, cwd=tmp_path).returncode == 0
    settings = Settings.model_validate({"engine": {"results": str(tmp_path / "results")}})
    count = "SELECT submission_date, COUNT(*) FROM opwatch_demo_scalar GROUP BY 1 ORDER BY 1"
    with open_runner(settings) as reader:
        expected = reader.engine.reads.read(count)
        # another process writes: the reads here must never see a partition half replaced
        command = [sys.executable, "-m", "opwatch", *arguments, "--force"]
        rerun = subprocess.Popen(command, cwd=tmp_path)
        reads = 0
        while rerun.poll() is None or reads == 0:
            assert reader.engine.reads.read(count) == expected
            reads += 1
    assert rerun.returncode == 0 and reads > 3


def test_a_runs_memory_is_bounded_by_the_setting_and_spills_past_it(
    four_weeks: GeneratedData, tmp_path: Path
) -> None:
    """``engine.memory_limit`` (2 GB unless set) bounds the run's session; a run given far
    less than its data needs spills and writes exactly what an unbounded one does."""
    project = load_project(demo_project_path())
    with open_runner(settings_for(four_weeks, tmp_path / "default")) as runner:
        [(limit,)] = runner.engine.reads.read("SELECT current_setting('memory_limit')")
        assert runner.run([project], days(four_weeks)[:7]).ok
    assert limit == "1.8 GiB"  # DuckDB's spelling of 2 GB
    small = settings_for(four_weeks, tmp_path / "small", memory_limit="40MB", threads=1)
    with open_runner(small) as runner:
        assert runner.run([project], days(four_weeks)[:7]).ok
    assert all_tables(tmp_path / "small") == all_tables(tmp_path / "default")
