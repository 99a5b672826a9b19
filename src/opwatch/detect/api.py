"""``detect``: one call from a series to its changes, whatever the technique."""

from __future__ import annotations

from typing import Any

from opwatch.detect.change import Change, classified
from opwatch.detect.registry import technique as technique_named
from opwatch.detect.series import as_series
from opwatch.errors import DetectionError


def detect(
    series: Any,
    technique: str = "default",
    *,
    lower_is_better: bool | None = None,
    buckets: Any = None,
    **args: Any,
) -> list[Change]:
    """The changes of ``series``, in order of position.

    ``series`` is a 1-D sequence of numbers (one per day or build; NaN where missing) or a
    2-D array of histograms (one row per point, one column per bucket; counts or
    proportions). ``technique`` names one of :data:`opwatch.detect.TECHNIQUES` (``default``
    is ``binseg``); ``args`` are its arguments, as a metric's ``change_detection_args`` gives
    them. ``lower_is_better`` classifies each change as a regression or an improvement;
    ``buckets`` (the lower bound of each column) puts histogram summaries in values.
    """
    checked = as_series(series, buckets)
    method = technique_named(technique, **args)
    if checked.kind not in method.kinds:
        raise DetectionError(
            f"technique {method.name!r} does not take {checked.kind} series; "
            f"choose one of the techniques for {checked.kind} series"
        )
    return classified(method.find(checked), lower_is_better)
