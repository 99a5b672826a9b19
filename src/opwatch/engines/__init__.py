"""Engines that run opwatch's SQL: DuckDB (embedded default), Spark and BigQuery.

:data:`ENGINES` is the registry (name → class) that the settings, the CLI choices and the docs
read. Engines are registered by import path: naming them (``opwatch --help``) imports no
database driver; :func:`create_engine` imports the one the settings name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opwatch.registry import Registry

if TYPE_CHECKING:
    from opwatch.config.settings import Settings
    from opwatch.engines.base import Engine

ENGINES: Registry[type[Engine]] = Registry(
    "engine",
    lazy={
        "duckdb": "opwatch.engines.duckdb:DuckDBEngine",
        "spark": "opwatch.engines.remote:SparkEngine",
        "bigquery": "opwatch.engines.remote:BigQueryEngine",
    },
)


def create_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine ``name`` (default: the settings' ``engine.name``)."""
    return ENGINES.get(name or settings.engine.name)(settings)


__all__ = ["ENGINES", "create_engine"]
