"""Shared fixtures: the real corpus, small config trees laid out like metric-hub, and a small
synthetic telemetry set with helpers to read result tables, and a real PostgreSQL server."""

from __future__ import annotations

import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller

from opwatch.config.settings import Settings
from opwatch.demo.telemetry import DemoSpec, GeneratedData, generate
from tests.alerts.bugzilla_server import FakeBugzilla
from tests.alerts.http_helpers import free_port
from tests.alerts.smtp_server import Inbox
from tests.postgres import PostgresServer, running_server

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"

DEFINITIONS = """\
[functions.agg_sum]
definition = "COALESCE(SUM({select_expr}), 0)"

[metrics.gc_ms]
data_source = "main"
select_expression = "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_ms) IGNORE NULLS)"
type = "histogram"

[metrics.uri_count]
data_source = "main"
select_expression = '{{agg_sum("uri_count")}}'

[metrics.crashes]
data_source = "main"
select_expression = "COUNT(*)"

[dimensions.os]
data_source = "main"
select_expression = "normalized_os"

[data_sources.main]
from_expression = "mozdata.telemetry.main"
submission_date_column = "DATE(submission_timestamp)"
"""


@pytest.fixture
def corpus() -> Path:
    """The shared corpus of real configurations."""
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def config_tree(tmp_path: Path) -> Callable[[str], Path]:
    """Write a project into a metric-hub-like tree; returns the project file's path."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "firefox_desktop.toml").write_text(DEFINITIONS)
    (tmp_path / "opmon").mkdir()

    def write(project_text: str, slug: str = "my-project") -> Path:
        path = tmp_path / "opmon" / f"{slug}.toml"
        path.write_text(textwrap.dedent(project_text))
        return path

    return write


SPEC = DemoSpec(clients=150, days=10, end_date=date(2026, 10, 10), seed=7)


@pytest.fixture(scope="session")
def telemetry(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """Ten days of synthetic telemetry for the demo project (150 clients)."""
    return generate(SPEC, tmp_path_factory.mktemp("telemetry"))


FOUR_WEEKS = DemoSpec(clients=1500, days=28, end_date=date(2026, 11, 1), seed=11)
"""Enough clients and days for the planted GC regression to stand out on every platform."""


@pytest.fixture(scope="session")
def four_weeks(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """Four weeks of demo telemetry (1,500 clients)."""
    return generate(FOUR_WEEKS, tmp_path_factory.mktemp("four-weeks"))


@pytest.fixture(scope="session")
def four_weeks_results(four_weeks: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project run over the four weeks (client tables and statistics). Tests that
    write detections copy it first."""
    from opwatch.config import load_project
    from opwatch.demo import demo_project_path
    from opwatch.pipeline import open_runner

    folder = tmp_path_factory.mktemp("four-weeks-results") / "results"
    with open_runner(settings_for(four_weeks, folder)) as runner:
        assert runner.run([load_project(demo_project_path())], days(four_weeks)).ok
    return folder


@pytest.fixture(scope="session")
def four_weeks_detected(
    four_weeks: GeneratedData, four_weeks_results: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The four weeks' results with the demo project's detections (read it, do not write:
    an alert store given by URL keeps alerts elsewhere)."""
    from opwatch.config import load_project
    from opwatch.demo import demo_project_path
    from opwatch.engines import create_engine
    from opwatch.pipeline.detection import DetectionStep

    results = tmp_path_factory.mktemp("four-weeks-detected") / "results"
    shutil.copytree(four_weeks_results, results)
    engine = create_engine(settings_for(four_weeks, results))
    DetectionStep(engine).run(load_project(demo_project_path()))
    engine.close()
    return results


@pytest.fixture
def bugzilla() -> Iterator[FakeBugzilla]:
    """A fake Bugzilla speaking REST on loopback (API key ``secret-key``), stopped after."""
    with FakeBugzilla() as server:
        yield server


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback (aiosmtpd) keeping what it accepts, and its port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def settings_for(data: GeneratedData, results: Path, **engine: Any) -> Settings:
    """Settings mapping the generated tables, results in ``results``."""
    return Settings.model_validate(
        {"engine": {"results": str(results), **engine}, "tables": data.tables}
    )


def days(data: GeneratedData) -> list[date]:
    """Every generated day."""
    return [
        data.start_date + timedelta(days=n)
        for n in range((data.end_date - data.start_date).days + 1)
    ]


def table_rows(results: Path, table: str) -> list[tuple[Any, ...]]:
    """Every row of a result table, sorted, partition column included."""
    files = results / "tables" / table
    if not files.is_dir():
        return []
    return sorted(
        duckdb.sql(f"SELECT * FROM read_parquet('{files}/*/*.parquet')").fetchall(),
        key=repr,
    )


def all_tables(results: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every partitioned result table's rows."""
    tables = sorted(p.name for p in (results / "tables").iterdir() if p.name != "projects_v1")
    return {table: table_rows(results, table) for table in tables}


# --- a real PostgreSQL server: one per run, a fresh database per test ---------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run, stopped and removed at the end."""
    with running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a fresh, empty database on the test server, one per test."""
    return postgres_server.create_database(f"test_{uuid.uuid4().hex}")
