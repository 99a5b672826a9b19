"""SQL: configs' BigQuery snippets rendered and translated into each engine's dialect."""

from opwatch.sql.translate import TableMap, translate

__all__ = ["TableMap", "translate"]
