"""The one query layer over the result tables, whatever engine wrote them.

The dashboards and the JSON API (and later the alerts) read results only through
:class:`ResultsReader`; no route handler writes SQL. Reads go through the engine's
``read`` with the statement templates of ``engines/templates``, and every value a user
supplies is bound as a parameter, every column name checked against the project first.
"""

from opwatch.results.models import (
    DimensionValues,
    ProjectDetail,
    ProjectSummary,
    StatisticsFilter,
)
from opwatch.results.reader import ResultsReader

__all__ = [
    "DimensionValues",
    "ProjectDetail",
    "ProjectSummary",
    "ResultsReader",
    "StatisticsFilter",
]
