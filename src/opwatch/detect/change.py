"""What a technique reports: a :class:`Change`, and what it means for a metric.

A change is a point of a series where the level (or, for histograms, one summary of the
distribution) moved and stayed, or, when spikes are not ignored, a point that jumped for a day
or two and came back. ``index`` is always the first point of the new regime, so a step between
points 29 and 30 is reported at 30, whatever the technique.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Direction = Literal["up", "down"]
Kind = Literal["shift", "spike"]
Classification = Literal["regression", "improvement", "change"]


@dataclass(frozen=True)
class Change:
    """One detected change of a series.

    The first four fields are the stable core every technique fills; the others explain it.
    """

    index: int
    """Position in the series of the first point after the change."""
    direction: Direction
    """``up``: the level (the distribution, for histograms) moved to higher values."""
    magnitude: float
    """``after - before``, in the units of the series (of ``feature``, for histograms)."""
    score: float
    """How strong the evidence is, in the technique's own scale (for the calibrated techniques,
    the change in units of the series' noise: a robust z)."""
    before: float = float("nan")
    """The level before the change (the mean of the segment before, or the technique's
    baseline)."""
    after: float = float("nan")
    """The level after the change."""
    p_value: float | None = None
    """The chance of a statistic this large on a series without any change (calibrated
    techniques only)."""
    kind: Kind = "shift"
    """``shift`` for a lasting change, ``spike`` for a change that reverted within days."""
    feature: str = "value"
    """What moved: ``value`` for scalar series; for histograms ``mean``, ``p05``, ``p50`` or
    ``p95`` (in bucket positions, or in values when the bucket bounds were given), or ``cdf``."""
    technique: str = ""
    classification: Classification = "change"
    """``regression`` or ``improvement`` when the metric says whether lower is better."""

    @property
    def relative_change(self) -> float | None:
        """``magnitude / |before|``, or None when the level before is zero or unknown."""
        if not self.before or self.before != self.before:  # zero or NaN
            return None
        return self.magnitude / abs(self.before)

    def describe(self) -> str:
        """One line a person reads: what moved, by how much, how sure."""
        relative = self.relative_change
        size = f"{relative:+.1%}" if relative is not None else f"{self.magnitude:+.4g}"
        what = "spike" if self.kind == "spike" else self.classification
        evidence = f"score {self.score:.1f}"
        if self.p_value is not None:
            evidence += f", p={self.p_value:.2g}"
        return (
            f"{what} at {self.index}: {self.feature} {self.before:.4g} → {self.after:.4g} "
            f"({size}; {evidence}; {self.technique})"
        )


def classify(direction: Direction, lower_is_better: bool | None) -> Classification:
    """A move ``direction`` of a metric where lower is (or is not) better."""
    if lower_is_better is None:
        return "change"
    worse = "up" if lower_is_better else "down"
    return "regression" if direction == worse else "improvement"


def classified(changes: list[Change], lower_is_better: bool | None) -> list[Change]:
    """``changes`` with their classification filled in."""
    return [
        replace(change, classification=classify(change.direction, lower_is_better))
        for change in changes
    ]
