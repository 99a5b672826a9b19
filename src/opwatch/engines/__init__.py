"""Engines that run opwatch's SQL: DuckDB (embedded default), Spark and BigQuery.

:data:`ENGINES` is the registry (name → class) that the settings, the CLI choices and the docs
read; :func:`create_engine` builds the one the settings name.
"""

from __future__ import annotations

from opwatch.config.settings import Settings
from opwatch.engines.base import Engine, RunOutput, TableOutput
from opwatch.engines.duckdb import DuckDBEngine
from opwatch.engines.remote import BigQueryEngine, SparkEngine

ENGINES: dict[str, type[Engine]] = {
    engine.name: engine for engine in (DuckDBEngine, SparkEngine, BigQueryEngine)
}


def create_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine ``name`` (default: the settings' ``engine.name``)."""
    return ENGINES[name or settings.engine.name](settings)


__all__ = ["ENGINES", "Engine", "RunOutput", "TableOutput", "create_engine"]
