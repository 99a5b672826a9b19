"""A small synthetic telemetry set shared by the pipeline tests, and helpers to read results."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from opwatch.config.settings import Settings
from opwatch.demo.telemetry import DemoSpec, GeneratedData, generate

SPEC = DemoSpec(clients=150, days=10, end_date=date(2026, 10, 10), seed=7)


@pytest.fixture(scope="session")
def telemetry(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """Ten days of synthetic telemetry for the demo project (150 clients)."""
    return generate(SPEC, tmp_path_factory.mktemp("telemetry"))


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
