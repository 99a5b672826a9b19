"""``opwatch run``, ``backfill``, ``render`` and ``demo`` from the command line."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx2
import pytest
import sqlglot

from opwatch.demo.telemetry import DemoSpec
from tests.cli.helpers import demo_installation, opwatch
from tests.conftest import CORPUS

END = date(2026, 10, 6)


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with generated data, the demo config tree and an opwatch.toml."""
    spec = DemoSpec(clients=80, days=6, end_date=END)
    return demo_installation(tmp_path_factory.mktemp("installation"), spec)


def fresh_copy(installation: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "installation"
    shutil.copytree(installation, folder, ignore=shutil.ignore_patterns("results"))
    return folder


def test_run_computes_a_day_and_a_rerun_skips_it(installation: Path, tmp_path: Path) -> None:
    folder = fresh_copy(installation, tmp_path)
    project = folder / "config/opmon/opwatch-demo.toml"
    project.write_text(
        project.read_text().replace('metrics = ["gc_ms", ', 'metrics = ["gc_ms", "gc_ms", ', 1)
    )
    first = opwatch("run", "--date", str(END), cwd=folder)
    assert first.returncode == 0, first.stderr
    # OpMon runs a metric listed twice once; so does opwatch, and says so
    assert 'warning: project.metrics: "gc_ms" is listed more than once' in first.stderr
    assert "opwatch-demo" in first.stdout and "Run summary" in first.stdout
    assert "statistics rows in" in first.stderr  # the log line: what ran, with numbers
    partition = folder / "results/tables/opwatch_demo_scalar" / f"submission_date={END}"
    assert (partition / "data.parquet").is_file()
    again = opwatch("run", "--date", str(END), cwd=folder)
    assert again.returncode == 0
    with sqlite3.connect(folder / "results/state.sqlite") as state:
        assert state.execute("SELECT COUNT(*), MIN(status) FROM runs").fetchone() == (1, "success")
    summary = next(line for line in again.stdout.splitlines() if line.startswith("│ opwatch-demo"))
    computed, skipped, failed = (cell.strip() for cell in summary.split("│")[2:5])
    assert (computed, skipped, failed) == ("0", "1", "0")


def test_backfill_computes_every_day_and_reports_bad_dates(
    installation: Path, tmp_path: Path
) -> None:
    folder = fresh_copy(installation, tmp_path)
    result = opwatch("backfill", "--start", "2026-10-02", "--end", str(END), cwd=folder)
    assert result.returncode == 0, result.stderr
    days = duckdb.sql(
        f"SELECT DISTINCT submission_date FROM read_parquet("
        f"'{folder}/results/tables/opwatch_demo_histogram/*/*.parquet') ORDER BY 1"
    ).fetchall()
    assert [d for (d,) in days] == [date(2026, 10, n) for n in range(2, 7)]
    wrong = opwatch("backfill", "--start", "2026-10-05", "--end", "2026-10-01", cwd=folder)
    assert wrong.returncode == 2 and "before --start" in wrong.stderr
    garbled = opwatch("run", "--date", "yesterday", cwd=folder)
    assert garbled.returncode == 2 and "YYYY-MM-DD" in garbled.stderr


def test_a_failing_day_exits_four_and_keeps_the_others(installation: Path, tmp_path: Path) -> None:
    folder = fresh_copy(installation, tmp_path)
    settings = (folder / "opwatch.toml").read_text()
    (folder / "opwatch.toml").write_text(
        settings.replace(str(Path(installation) / "data" / "crash"), str(folder / "nowhere"))
    )
    result = opwatch("run", "--date", str(END), cwd=folder)
    assert result.returncode == 4, result.stderr
    assert "opwatch-demo 2026-10-06" in result.stderr and "nowhere" in result.stderr


def test_run_without_a_projects_folder_says_how_to_name_projects(tmp_path: Path) -> None:
    result = opwatch("run", "--date", "2026-10-01", cwd=tmp_path)
    assert result.returncode == 3
    assert "--project" in result.stderr and "config.projects" in result.stderr


@pytest.mark.parametrize("engine", ["duckdb", "spark", "bigquery"])
def test_render_prints_a_script_that_parses_in_the_engines_dialect(engine: str) -> None:
    project = CORPUS / "metric-hub/opmon/network-performance-desktop-build-by-build.toml"
    result = opwatch("render", str(project), "--engine", engine, "--date", "2024-03-01")
    assert result.returncode == 0, result.stderr
    statements = [s for s in result.stdout.split(";\n\n") if s.strip()]
    assert any("network_performance_desktop_build_by_build_scalar" in s for s in statements)
    if engine != "duckdb":  # DuckDB's macro definitions are for DuckDB's parser alone
        for statement in statements:
            assert sqlglot.parse(statement.rstrip(";"), read=engine)


def test_render_rejects_an_unknown_engine() -> None:
    result = opwatch("render", "opwatch-demo", "--engine", "oracle")
    assert result.returncode == 2 and "oracle" in result.stderr


SMALL_DEMO = ("demo", "--clients", "60", "--days", "4", "--corpus", str(CORPUS), "--no-serve")


def test_demo_generates_runs_and_summarizes(tmp_path: Path) -> None:
    result = opwatch(*SMALL_DEMO, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "opwatch-demo"
    assert (folder / "opwatch.toml").is_file() and (folder / "config/opmon").is_dir()
    slugs = {
        row[0]
        for row in duckdb.sql(
            f"SELECT slug FROM '{folder}/results/tables/projects_v1/data.parquet'"
        ).fetchall()
    }
    assert "opwatch-demo" in slugs and len(slugs) >= 11
    assert "Planted:" in result.stdout
    rerun = opwatch("run", "--date", "2026-11-01", "--force", cwd=folder)
    assert rerun.returncode == 0, rerun.stderr
    again = opwatch(*SMALL_DEMO, cwd=tmp_path)
    assert again.returncode == 0 and "generating" not in again.stderr  # same spec: data reused


def test_demo_alone_generates_only_the_tables_its_project_reads(tmp_path: Path) -> None:
    result = opwatch("demo", "--clients", "40", "--days", "3", "--no-serve", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    data = tmp_path / "opwatch-demo" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["crash", "main"]
    assert "in 2 tables" in result.stdout
    again = opwatch("demo", "--clients", "40", "--days", "3", "--no-serve", cwd=tmp_path)
    assert again.returncode == 0 and "generating" not in again.stderr  # same spec: data reused


def test_running_on_an_engine_that_only_renders_is_refused_up_front(
    installation: Path, tmp_path: Path
) -> None:
    folder = fresh_copy(installation, tmp_path)
    settings = (folder / "opwatch.toml").read_text()
    (folder / "opwatch.toml").write_text(
        settings.replace("[engine]\n", '[engine]\nname = "spark"\n')
    )
    result = opwatch("run", "--date", str(END), cwd=folder)
    assert result.returncode == 3, result.stderr
    assert "spark engine" in result.stderr and "render" in result.stderr
    assert (
        not (folder / "results" / "state.sqlite").exists()
        or not sqlite3.connect(folder / "results" / "state.sqlite")
        .execute("SELECT COUNT(*) FROM runs")
        .fetchone()[0]
    )


def test_demo_ends_by_serving_the_dashboards(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "opwatch", "demo", "--clients", "40", "--days", "3"]
    demo = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                home = httpx2.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx2.ConnectError:
                assert demo.poll() is None, "the demo stopped instead of serving"
                assert time.monotonic() < deadline, "nothing served within 4 minutes"
                time.sleep(0.5)
        assert home.status_code == 200 and "/projects/opwatch-demo" in home.text
    finally:
        demo.terminate()
        demo.wait(timeout=20)
