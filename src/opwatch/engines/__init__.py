"""Engines that run opwatch's SQL: DuckDB (embedded default), Spark and BigQuery."""
