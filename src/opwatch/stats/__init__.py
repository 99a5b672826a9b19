"""Statistics of client-level results: bucket layouts, histograms, intervals, the registry.

Importing the package registers every statistic (:mod:`.scalar`, :mod:`.scalar_percentiles`,
:mod:`.histogram`), so that
:func:`opwatch.stats.registry.statistic` finds them by their config names.
"""

from opwatch.stats import histogram, scalar, scalar_percentiles
from opwatch.stats.registry import STATISTICS, statistic

__all__ = ["STATISTICS", "histogram", "scalar", "scalar_percentiles", "statistic"]
