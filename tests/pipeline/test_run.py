"""Runs are idempotent, resumable and isolated: what the daily pipeline promises."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
import tomli_w

from opwatch.config import load_project
from opwatch.demo import demo_config_dir, demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.errors import RenderError
from opwatch.pipeline import open_runner
from opwatch.pipeline.state import FAILED, SUCCESS
from tests.cli.helpers import opwatch
from tests.conftest import all_tables, days, settings_for, table_rows

SLUG = "opwatch_demo"


def test_rerunning_days_gives_identical_tables_and_skips_done_days(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    settings = settings_for(telemetry, tmp_path / "results", batch_days=4)
    project = load_project(demo_project_path())
    with open_runner(settings) as runner:
        first = runner.run([project], days(telemetry))
        before = all_tables(tmp_path / "results")
        again = runner.run([project], days(telemetry))
        forced = runner.run([project], days(telemetry)[3:5], force=True)
    assert first.ok and len(first.projects["opwatch-demo"].computed) == 10
    assert again.projects["opwatch-demo"].computed == {}
    assert len(again.projects["opwatch-demo"].skipped) == 10
    assert sorted(forced.projects["opwatch-demo"].computed) == days(telemetry)[3:5]
    assert all_tables(tmp_path / "results") == before
    assert len(before[f"{SLUG}_scalar"]) > 1000 and len(before[f"{SLUG}_histogram"]) > 100


def test_a_killed_backfill_resumes_to_the_same_tables(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    for folder in (whole, resumed):
        folder.mkdir()
        write_settings(folder, telemetry, batch_days=1)
    first, last = days(telemetry)[0], days(telemetry)[-1]
    assert backfill(whole, first, last).returncode == 0
    interrupted = start_backfill(resumed, first, last)
    wait_for_successes(resumed / "results" / "state.sqlite", at_least=3)
    interrupted.send_signal(signal.SIGKILL)
    interrupted.wait()
    done = successes(resumed / "results" / "state.sqlite")
    assert 3 <= done < 10, "the kill came too late to interrupt anything"
    rerun = backfill(resumed, first, last)
    assert rerun.returncode == 0, rerun.stderr
    assert successes(resumed / "results" / "state.sqlite") == 10
    assert all_tables(resumed / "results") == all_tables(whole / "results")
    assert not any((resumed / "results" / ".staging").rglob("*.parquet"))


def test_a_changed_config_recomputes_every_day_it_wrote(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(demo_config_dir(), config)
    project_file = config / "opmon" / "opwatch-demo.toml"
    settings = settings_for(telemetry, tmp_path / "results")
    with open_runner(settings) as runner:
        runner.run([load_project(project_file)], days(telemetry)[:4])
    definitions = config / "definitions" / "firefox_desktop.toml"
    text = definitions.read_text()
    definitions.write_text(
        text.replace(
            '{{agg_sum("payload.simple_measurements.active_ticks")}}',
            "MAX(payload.simple_measurements.active_ticks)",
        )
    )
    with open_runner(settings) as runner:
        result = runner.run([load_project(project_file)], [days(telemetry)[4]])
    assert sorted(result.projects["opwatch-demo"].computed) == days(telemetry)[:5]
    agg_types = {
        (row[0], row[1])
        for row in duckdb.sql(
            f"SELECT DISTINCT submission_date, agg_type FROM read_parquet("
            f"'{tmp_path}/results/tables/{SLUG}_scalar/*/*.parquet') WHERE name = 'active_ticks'"
        ).fetchall()
    }
    assert agg_types == {(day, "MAX") for day in days(telemetry)[:5]}


def test_a_failed_day_leaves_the_previous_partition_and_other_projects_intact(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    day = days(telemetry)[2]
    good = load_project(demo_project_path())
    with open_runner(settings_for(telemetry, results)) as runner:
        runner.run([good], [day])
    partition = results / "tables" / f"{SLUG}_scalar" / f"submission_date={day}" / "data.parquet"
    before = partition.read_bytes()
    broken_tables = {**telemetry.tables}
    crash = next(name for name in broken_tables if name.endswith("telemetry.crash"))
    broken_tables[crash] = str(tmp_path / "missing" / "*.parquet")
    broken = settings_for(telemetry, results)
    broken.tables = broken_tables
    with open_runner(broken) as runner:
        result = runner.run([good], [day], force=True)
        states = runner.state.days("opwatch-demo")
    assert not result.ok and day in result.projects["opwatch-demo"].failed
    assert states[day].status == FAILED and "missing" in (states[day].error or "")
    assert partition.read_bytes() == before


def test_projects_v1_holds_one_row_per_project_replaced_on_rerun(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    project = load_project(demo_project_path())
    with open_runner(settings_for(telemetry, results)) as runner:
        runner.run([project], days(telemetry)[:1])
        runner.run([project], days(telemetry)[:2])
        statuses = {r.status for r in runner.state.days("opwatch-demo").values()}
    rows = duckdb.sql(
        f"SELECT slug, xaxis, branches, dimensions, json_array_length(metrics) "
        f"FROM '{results}/tables/projects_v1/data.parquet'"
    ).fetchall()
    assert rows == [("opwatch-demo", "submission_date", ["control", "treatment"], ["os"], 6)]
    assert statuses == {SUCCESS}


def test_build_id_partitions_hold_each_recent_build_once_per_client(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(demo_config_dir(), config)
    project_file = config / "opmon" / "opwatch-demo.toml"
    project_file.write_text(
        project_file.read_text().replace('xaxis = "submission_date"', 'xaxis = "build_id"')
    )
    results = tmp_path / "results"
    last = days(telemetry)[-1]
    with open_runner(settings_for(telemetry, results)) as runner:
        assert runner.run([load_project(project_file)], [last]).ok
    rows = table_rows(results, f"{SLUG}_scalar")
    assert {row[0] for row in rows} == {last}
    keys = [(row[1], row[3], row[4], row[5], row[6]) for row in rows]  # client, build, os, name…
    assert len(keys) == len(set(keys))
    builds = {row[3] for row in rows}
    assert builds and all(
        len(b) >= 8 and date(int(b[:4]), int(b[4:6]), int(b[6:8])) >= date(2026, 9, 26)
        for b in builds
    )


# --- helpers: the CLI, in this process or in a subprocess to kill -------------------------------


def write_settings(folder: Path, data: GeneratedData, **engine: object) -> None:
    settings = {"engine": {"results": "results", **engine}, "tables": data.tables}
    (folder / "opwatch.toml").write_text(tomli_w.dumps(settings))


def opwatch_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "opwatch", *args]


def backfill(folder: Path, first: date, last: date) -> subprocess.CompletedProcess[str]:
    return opwatch(
        "backfill", "--start", str(first), "--end", str(last), "-p", "opwatch-demo", cwd=folder
    )


def start_backfill(folder: Path, first: date, last: date) -> subprocess.Popen[bytes]:
    command = opwatch_command(
        "backfill", "--start", str(first), "--end", str(last), "-p", "opwatch-demo"
    )
    return subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def successes(state: Path) -> int:
    if not state.exists():
        return 0
    with sqlite3.connect(state) as connection:
        try:
            return int(
                connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'success'").fetchone()[
                    0
                ]
            )
        except sqlite3.OperationalError:
            return 0


def wait_for_successes(state: Path, at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while successes(state) < at_least:
        assert time.monotonic() < deadline, "the backfill made no progress"
        time.sleep(0.02)


def test_two_projects_with_one_slug_are_refused_before_anything_runs(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    project = load_project(demo_project_path())
    with open_runner(settings_for(telemetry, tmp_path / "results")) as runner:
        with pytest.raises(RenderError, match='two projects are named "opwatch-demo"'):
            runner.run([project, replace(project, name="copy")], days(telemetry)[:1])
        assert runner.state.days("opwatch-demo") == {}


def test_a_renamed_project_still_reads_its_experiments_enrollments(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    project = load_project(demo_project_path())
    renamed = replace(project, slug="demo-again", experiment_slug=project.slug)
    with open_runner(settings_for(telemetry, results)) as runner:
        assert runner.run([project, renamed], days(telemetry)[:2]).ok
    assert table_rows(results, "demo_again_scalar") == table_rows(results, f"{SLUG}_scalar")
