"""Change detection: where a series of statistics moved, which way, how much, how surely.

The stable surface other parts (and outside users) build on::

    from opwatch.detect import detect
    changes = detect(values)                      # 1-D: a statistic per day or build
    changes = detect(histograms, "cdf_squared")   # 2-D: a histogram per day or build

Techniques live in a registry (:data:`TECHNIQUES`): ``binseg`` (the default, calibrated),
``cdf_squared`` (mozdetect's, as a baseline) and ``window_ttest`` (Perfherder's, as a
baseline). docs/detection.md says what each computes and how they were measured.

The names load on first use (PEP 562): naming the techniques (:data:`TECHNIQUES`) imports
neither numpy nor scipy; ``detect`` and the classes import what they need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from opwatch.detect.techniques import DEFAULT_TECHNIQUE, TECHNIQUES

if TYPE_CHECKING:
    from opwatch.detect.api import detect
    from opwatch.detect.change import Change, Classification, Direction, classify
    from opwatch.detect.registry import Technique, TechniqueArgs

_LAZY = {
    "detect": "opwatch.detect.api",
    "Change": "opwatch.detect.change",
    "Classification": "opwatch.detect.change",
    "Direction": "opwatch.detect.change",
    "classify": "opwatch.detect.change",
    "Technique": "opwatch.detect.registry",
    "TechniqueArgs": "opwatch.detect.registry",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'opwatch.detect' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
