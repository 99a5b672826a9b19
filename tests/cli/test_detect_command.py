"""``opwatch detect`` from the command line: summary, changes, exit codes, reruns."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import tomli_w

from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import DemoSpec
from tests.cli.helpers import demo_installation, opwatch

END = date(2026, 10, 14)
DETECTIONS = Path("results/tables/opwatch_demo_detections/data.parquet")


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo config over 14 days of generated data, run once."""
    spec = DemoSpec(clients=200, days=14, end_date=END)
    folder = demo_installation(tmp_path_factory.mktemp("detect-installation"), spec)
    ran = opwatch("backfill", "--start", "2026-10-01", "--end", END.isoformat(), cwd=folder)
    assert ran.returncode == 0, ran.stderr[-2000:]
    return folder


def rows(folder: Path) -> list[tuple[object, ...]]:
    return duckdb.sql(f"SELECT * FROM '{folder / DETECTIONS}' ORDER BY ALL").fetchall()


def test_detect_summarizes_lists_changes_and_a_rerun_replaces_them(installation: Path) -> None:
    result = opwatch("detect", cwd=installation)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Detection summary" in result.stdout and "opwatch-demo" in result.stdout
    first = rows(installation)
    assert first, "the planted GC regression should be among the changes"
    assert "regression" in result.stdout and "gc_ms" in result.stdout
    again = opwatch("detect", "--show", "0", cwd=installation)
    assert again.returncode == 0 and "Changes (" not in again.stdout
    assert rows(installation) == first


def summary_counts(stdout: str) -> tuple[int, int]:
    """The series and skipped counts of the demo project's summary row."""
    row = next(line for line in stdout.splitlines() if line.startswith("│ opwatch-demo"))
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    return int(cells[1]), int(cells[6])


def test_platform_and_technique_options(installation: Path) -> None:
    everything = opwatch("detect", "--platform", "All", "--show", "0", cwd=installation)
    assert everything.returncode == 0, everything.stderr[-2000:]
    all_series, none_skipped = summary_counts(everything.stdout)
    linux = opwatch("detect", "--platform", "Linux", "--technique", "binseg", cwd=installation)
    assert linux.returncode == 0, linux.stderr[-2000:]
    series, skipped = summary_counts(linux.stdout)
    assert none_skipped == 0 and series + skipped == all_series and 0 < series < skipped
    found = duckdb.sql(f"SELECT DISTINCT os, technique FROM '{installation / DETECTIONS}'")
    assert set(found.fetchall()) <= {("Linux", "binseg")}


def test_an_unknown_technique_is_a_usage_error_listing_the_techniques(installation: Path) -> None:
    result = opwatch("detect", "--technique", "pelt", cwd=installation)
    assert result.returncode == 2
    assert "binseg" in result.stderr and "cdf_squared" in result.stderr


def test_a_project_without_results_fails_with_what_to_do(tmp_path: Path) -> None:
    shutil.copytree(demo_config_dir(), tmp_path / "config")
    (tmp_path / "opwatch.toml").write_text(
        tomli_w.dumps({"config": {"projects": "config/opmon"}, "engine": {"results": "results"}})
    )
    result = opwatch("detect", cwd=tmp_path)
    assert result.returncode == 4
    assert "no statistics yet; run `opwatch run`" in result.stderr
