"""Spark and BigQuery: the same plan rendered in their dialects, for review or for running there.

Both render complete scripts today (``opwatch render --engine spark|bigquery``): the per-client
table materialized, then each result table's partitions replaced, in the engine's own SQL.
Executing them from opwatch comes with their sessions (pyspark, google-cloud-bigquery); until
then the :class:`~opwatch.engines.base.Engine` defaults refuse to run, store or read, saying
what to do instead.
"""

from __future__ import annotations

from typing import ClassVar

from opwatch.engines.base import Engine
from opwatch.sql.translate import TableMap


class SparkEngine(Engine):
    """Apache Spark SQL: the per-client table cached, partitions overwritten dynamically."""

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    can_execute: ClassVar[bool] = False

    def setup_statements(self) -> list[str]:
        """Spark has no SQL macros: the compatibility functions are registered by the session."""
        return []


class BigQueryEngine(Engine):
    """BigQuery: Mozilla's UDFs called as they are, partitions replaced in one transaction."""

    name: ClassVar[str] = "bigquery"
    dialect: ClassVar[str] = "bigquery"
    can_execute: ClassVar[bool] = False

    def table_map(self) -> TableMap:
        """Table names stay as configs write them: they are BigQuery's own."""
        return TableMap(keep_project=True)
