"""Spark and BigQuery: the same plan rendered in their dialects, for review or for running there.

Both render complete scripts today (``opwatch render --engine spark|bigquery``): the per-client
table materialized, then each result table's partitions replaced, in the engine's own SQL.
Executing them from opwatch comes with their sessions (pyspark, google-cloud-bigquery); until
then :meth:`write` says so instead of pretending.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from opwatch.engines.base import Engine, RunOutput
from opwatch.errors import EngineError
from opwatch.sql.translate import TableMap


class _RenderOnlyEngine(Engine):
    can_execute: ClassVar[bool] = False

    def write(self, output: RunOutput) -> dict[date, int]:
        """Refuse: this engine renders SQL but has no session to run it yet."""
        raise EngineError(
            "this engine renders SQL but cannot run it from opwatch yet; "
            f"use `opwatch render {output.plan.project.slug} --engine {self.name}` and run the "
            'script there, or run on the embedded engine (engine.name = "duckdb")',
            project=output.plan.project.slug,
            engine=self.name,
        )


class SparkEngine(_RenderOnlyEngine):
    """Apache Spark SQL: the per-client table cached, partitions overwritten dynamically."""

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"

    def setup_statements(self) -> list[str]:
        """Spark has no SQL macros: the compatibility functions are registered by the session."""
        return []


class BigQueryEngine(_RenderOnlyEngine):
    """BigQuery: Mozilla's UDFs called as they are, partitions replaced in one transaction."""

    name: ClassVar[str] = "bigquery"
    dialect: ClassVar[str] = "bigquery"

    def table_map(self) -> TableMap:
        """Table names stay as configs write them: they are BigQuery's own."""
        return TableMap(keep_project=True)
