"""``window_ttest``: the Perfherder-style window test (a baseline).

Mozilla's CI performance alerts compare the ``window`` (12) points before each position with
the ``window`` points from it on: a change when Welch's t exceeds ``t_threshold`` (7) and the
means differ by at least ``min_relative_change`` (2 %). Of the positions that pass, the one
with the largest t in each run is reported. Histogram series are followed through their mean
bucket position (or value). The threshold is fixed, not calibrated: how many false alarms it
raises depends on how noisy and how correlated the series is.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field
from scipy.signal import find_peaks

from opwatch.detect.change import Change
from opwatch.detect.registry import Technique, TechniqueArgs
from opwatch.detect.series import Series, histogram_features


class WindowTTestArgs(TechniqueArgs):
    """Arguments of ``window_ttest``."""

    window: int = Field(12, ge=2)
    """Points on each side of a candidate change."""
    t_threshold: float = Field(7.0, gt=0)
    """Welch's t a change must exceed."""
    min_relative_change: float = Field(0.02, ge=0)
    """Smallest change of the mean, as a share of the mean before."""


class WindowTTest(Technique):
    """Welch's t of the windows before and after each point."""

    name = "window_ttest"
    summary = "Perfherder-style: Welch t of 12 points before vs after, t > 7 and 2 % change"
    Args = WindowTTestArgs
    args: WindowTTestArgs

    def find(self, series: Series) -> list[Change]:
        """Local maxima of |t| that pass both thresholds."""
        values = series.values
        feature = "value"
        if series.kind == "histogram":
            values, feature = histogram_features(values, series.buckets)["mean"], "mean"
        positions = np.flatnonzero(np.isfinite(values))
        levels, window = values[positions], self.args.window
        if len(levels) < 2 * window:
            return []
        windows = np.lib.stride_tricks.sliding_window_view(levels, window)
        before, after = windows[:-window], windows[window:]
        mean_before, mean_after = before.mean(axis=1), after.mean(axis=1)
        spread = np.sqrt(before.var(axis=1, ddof=1) / window + after.var(axis=1, ddof=1) / window)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.abs(mean_after - mean_before) / spread
            relative = np.abs(mean_after - mean_before) / np.abs(mean_before)
        passing = np.where(
            (t > self.args.t_threshold) & (relative >= self.args.min_relative_change), t, 0.0
        )
        peaks, _ = find_peaks(np.concatenate([[0.0], np.nan_to_num(passing), [0.0]]))
        return [
            Change(
                index=int(positions[peak - 1 + window]),
                direction="up" if mean_after[peak - 1] > mean_before[peak - 1] else "down",
                magnitude=float(mean_after[peak - 1] - mean_before[peak - 1]),
                score=float(t[peak - 1]),
                before=float(mean_before[peak - 1]),
                after=float(mean_after[peak - 1]),
                feature=feature,
                technique=self.name,
            )
            for peak in peaks
        ]
