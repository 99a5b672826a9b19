"""``cdf_squared``: Mozilla's squared-CDF-difference technique (mozdetect), re-implemented.

What it does, as mozdetect's smoothed lane does it:

1. the histograms of ``window`` (7) consecutive points are summed, for every start ``D``;
2. the CDF of the window starting at ``D`` is compared with the one starting a week later
   (``D + 7``): the squared differences summed over buckets, signed by the direction of the
   summed difference (positive when the later distribution sits at higher values);
3. this series is smoothed by a zero-phase Butterworth low-pass filter (order 5, cutoff 0.4 of
   the Nyquist frequency, ``filtfilt``; the order drops on short series as mozdetect's does);
4. local peaks (at least 3 points apart) of the smoothed series, and of its negation, above
   the ``alert_threshold`` (0.85) quantile of its absolute value are changes.

mozdetect labels a change on the last day of the earlier week (``D + 6``); opwatch reports
the first point of the later week (``D + 7``), as every technique here does. A scalar series
is read as one observation per point: each value falls in one of ``scalar_bins`` equal bins
spanning the series, so a week is the empirical distribution of its values.

Known weaknesses, kept on purpose (this is the baseline): the threshold is a quantile of the
series itself, so every series gets alarms whether anything changed or not; sample sizes are
ignored; ``filtfilt`` reads the future, so replaying day by day changes past answers.
mozdetect's later "fast lane" (each day against the trailing week) is not part of this one.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field
from scipy.signal import butter, filtfilt, find_peaks

from opwatch.detect.change import Change
from opwatch.detect.registry import Technique, TechniqueArgs
from opwatch.detect.series import Series

WEEK = 7


class CdfSquaredArgs(TechniqueArgs):
    """Arguments of ``cdf_squared``."""

    window: int = Field(7, ge=1)
    """Points summed into one distribution."""
    alert_threshold: float = Field(0.85, gt=0, lt=1)
    """Quantile of the smoothed differences a peak must exceed."""
    cutoff: float = Field(0.4, gt=0, lt=1)
    """Low-pass cutoff as a fraction of the Nyquist frequency."""
    order: int = Field(5, ge=1)
    """Butterworth filter order."""
    peak_distance: int = Field(3, ge=1)
    """Fewest points between two peaks of the same sign."""
    scalar_bins: int = Field(20, ge=2)
    """Bins a scalar series' values fall into."""


class CdfSquared(Technique):
    """The squared CDF difference of windows a week apart, low-passed, peaks over a quantile."""

    name = "cdf_squared"
    summary = "mozdetect's squared CDF difference of weeks (baseline; threshold from the series)"
    Args = CdfSquaredArgs
    args: CdfSquaredArgs

    def find(self, series: Series) -> list[Change]:
        """Peaks of the smoothed signed squared CDF difference."""
        counts, positions = self._histograms(series)
        sums = _window_sums(counts, self.args.window)
        if len(sums) <= WEEK:
            return []
        with np.errstate(invalid="ignore", divide="ignore"):
            cdfs = np.cumsum(sums, axis=1) / sums.sum(axis=1, keepdims=True)
            means = (sums * positions).sum(axis=1) / sums.sum(axis=1)
        earlier, later = np.nan_to_num(cdfs[:-WEEK]), np.nan_to_num(cdfs[WEEK:])
        difference = (earlier - later).sum(axis=1)
        signed = ((later - earlier) ** 2).sum(axis=1) * np.sign(difference)
        smoothed = _lowpass(signed, self.args.cutoff, self.args.order)
        threshold = float(np.quantile(np.abs(smoothed), self.args.alert_threshold))
        changes = []
        for sign, direction in ((1.0, "up"), (-1.0, "down")):
            peaks, _ = find_peaks(
                sign * smoothed, height=threshold, distance=self.args.peak_distance
            )
            for start in peaks:
                before, after = float(means[start]), float(means[start + WEEK])
                changes.append(
                    Change(
                        index=int(start) + WEEK,
                        direction="up" if direction == "up" else "down",
                        magnitude=after - before,
                        score=float(abs(smoothed[start])),
                        before=before,
                        after=after,
                        feature="cdf",
                        technique=self.name,
                    )
                )
        return sorted(changes, key=lambda c: c.index)

    def _histograms(self, series: Series) -> tuple[np.ndarray, np.ndarray]:
        """Counts per point and bucket, and each bucket's position (or value)."""
        if series.kind == "histogram":
            counts = series.counts if series.counts is not None else series.values
            positions = np.arange(counts.shape[1], dtype=float)
            return np.nan_to_num(counts), positions
        values = series.values
        finite = np.isfinite(values)
        low, high = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 1.0)
        edges = np.linspace(low, high, self.args.scalar_bins + 1)
        bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
        counts = np.zeros((len(values), self.args.scalar_bins))
        counts[np.flatnonzero(finite), bins[finite]] = 1.0
        return counts, (edges[:-1] + edges[1:]) / 2


def _window_sums(counts: np.ndarray, window: int) -> np.ndarray:
    """Sums of ``window`` consecutive rows, one per start."""
    if len(counts) < window:
        return np.zeros((0, counts.shape[1]))
    totals = np.cumsum(np.vstack([np.zeros(counts.shape[1]), counts]), axis=0)
    return np.asarray(totals[window:] - totals[:-window])


def _lowpass(values: np.ndarray, cutoff: float, order: int) -> np.ndarray:
    """Zero-phase Butterworth low-pass; the order drops until the series is long enough."""
    while order > 0 and len(values) <= 3 * (order + 1):
        order -= 1
    if order == 0:
        return values
    b, a = butter(order, cutoff, btype="low")
    return np.asarray(filtfilt(b, a, values))
