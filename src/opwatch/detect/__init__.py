"""Change detection: where a series of statistics moved, which way, how much, how surely.

The stable surface other parts (and outside users) build on::

    from opwatch.detect import detect
    changes = detect(values)                      # 1-D: a statistic per day or build
    changes = detect(histograms, "cdf_squared")   # 2-D: a histogram per day or build

Techniques live in a registry (:data:`TECHNIQUES`): ``binseg`` (the default, calibrated),
``cdf_squared`` (mozdetect's, as a baseline) and ``window_ttest`` (Perfherder's, as a
baseline). docs/detection.md says what each computes and how they were measured.
"""

from opwatch.detect import binseg, cdf_squared, window_ttest  # noqa: F401 - registers them
from opwatch.detect.api import detect
from opwatch.detect.change import Change, Classification, Direction, classify
from opwatch.detect.registry import DEFAULT_TECHNIQUE, TECHNIQUES, Technique, TechniqueArgs

__all__ = [
    "DEFAULT_TECHNIQUE",
    "TECHNIQUES",
    "Change",
    "Classification",
    "Direction",
    "Technique",
    "TechniqueArgs",
    "classify",
    "detect",
]
