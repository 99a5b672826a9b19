"""Generated data shared by the demo tests: one data set enrolling every corpus project's
experiments, big enough for thin slices (1 % samples split over five branches) to have
clients, generated once per session."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from opwatch.demo.telemetry import DemoSpec, GeneratedData, generate
from opwatch.demo.telemetry.corpus import corpus_experiments

CORPUS_SPEC = DemoSpec(clients=3000, days=16, experiments=corpus_experiments())


@pytest.fixture(scope="session")
def corpus_data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """Every table, for every supported corpus project."""
    return generate(CORPUS_SPEC, tmp_path_factory.mktemp("demo") / "data")


def table(data: GeneratedData, name: str) -> str:
    """A physical table's Parquet glob, for DuckDB."""
    return str(Path(data.folder) / name / "*.parquet")


def rows(data: GeneratedData, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql``, in which ``{main}``, ``{crash}``, ... name the generated tables."""
    names = {
        path.name: f"read_parquet('{table(data, path.name)}')" for path in data.folder.iterdir()
    }
    return duckdb.connect().execute(sql.format(**names)).fetchall()
