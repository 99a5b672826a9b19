"""Robust pieces the calibrated techniques share: noise scale, weekly pattern, spikes.

Every estimate here must survive the very changes being looked for: the noise scale comes
from differences between neighbouring points (a step moves one difference, not the median
of all), the weekly pattern and the spikes from residuals around a running median (which
follows a step without smearing it), the autocorrelation from residuals around the segment
means a first search found. The functions take 2-D arrays (one series per row)
where the calibration simulates many series at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

MAD_TO_SIGMA = 1.4826
"""The MAD of normal data times this is its standard deviation."""
MAX_AUTOCORRELATION = 0.8
SEASONALITY_P_VALUE = 0.001
"""A weekly pattern is removed only when it is this clear (Kruskal-Wallis over weekdays), so
that on series without one nothing is subtracted but noise."""


def mad_scale(values: np.ndarray) -> np.ndarray:
    """The standard deviation of normal data with the MAD of ``values`` (along the last axis)."""
    center = np.median(values, axis=-1, keepdims=True)
    return np.asarray(MAD_TO_SIGMA * np.median(np.abs(values - center), axis=-1))


def point_scale(series: np.ndarray) -> np.ndarray:
    """The standard deviation of one point's noise (each row), immune to level shifts:
    differences between neighbours cancel the level, and a step moves one of them."""
    return np.asarray(mad_scale(np.diff(series, axis=-1)) / np.sqrt(2.0))


def residual_autocorrelation(residuals: np.ndarray, segments: int = 1) -> np.ndarray:
    """The lag-1 autocorrelation of each row of residuals (around fitted segment means),
    with outliers clipped at 4 robust sigmas and the small-sample bias removed (about
    ``(1 + 3 rho) / n`` for one mean, a further ``1 / n`` per extra segment), in [0, 0.8]."""
    scale = mad_scale(residuals)[..., None]
    clipped = np.clip(residuals, -4 * scale, 4 * scale)
    centered = clipped - clipped.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (centered[..., 1:] * centered[..., :-1]).sum(axis=-1) / (centered**2).sum(axis=-1)
    n = residuals.shape[-1]
    rho = np.nan_to_num(rho) + (1 + 3 * np.clip(rho, 0, None) + segments - 1) / n
    return np.asarray(np.clip(np.nan_to_num(rho), 0.0, MAX_AUTOCORRELATION))


def long_run_factor(rho: np.ndarray | float) -> np.ndarray:
    """How much wider the noise of a long average is under AR(1) noise of coefficient rho than
    the point scale says: the long-run sd is ``sigma_e / (1 - rho)``, and the point scale
    from differences is ``sigma_e / sqrt(1 + rho)``."""
    rho = np.asarray(rho, dtype=float)
    return np.asarray(np.sqrt((1.0 + rho) / (1.0 - rho) ** 2))


def running_median(series: np.ndarray, window: int = 7) -> np.ndarray:
    """The centered running median of a 1-D series (NaN skipped, windows shrink at the ends)."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), series, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
        return np.asarray(np.nanmedian(windows, axis=1))


def weekly_pattern(series: np.ndarray, period: int | None) -> np.ndarray:
    """Each point's seasonal offset (zero when there is no clear pattern of ``period``)."""
    none = np.zeros_like(series)
    if not period or period < 2 or np.isfinite(series).sum() < 3 * period:
        return none
    residuals = series - running_median(series, period | 1)
    phase = np.arange(len(series)) % period
    finite = np.isfinite(residuals)
    groups = [residuals[finite & (phase == p)] for p in range(period)]
    if min(len(group) for group in groups) < 2 or np.ptp(residuals[finite]) == 0:
        return none
    if stats.kruskal(*groups).pvalue >= SEASONALITY_P_VALUE:
        return none
    offsets = np.array([np.median(group) for group in groups])
    return np.asarray((offsets - offsets.mean())[phase])


@dataclass(frozen=True)
class Spike:
    """A short excursion: ``length`` points from ``index`` away from the running median."""

    index: int
    length: int
    excursion: float
    """The largest departure from the baseline, signed."""
    baseline: float
    score: float
    """``excursion`` in units of the residuals' robust scale."""


def find_spikes(
    series: np.ndarray, threshold: float = 5.0, max_length: int = 2
) -> tuple[list[Spike], np.ndarray]:
    """Runs of at most ``max_length`` points more than ``threshold`` noise sigmas (the point
    scale) from the running median, and the series with those points replaced by it.

    The scale is not the MAD of the residuals: a point is its window's median one time in
    seven, so residuals pile up at zero and their MAD is about half the noise."""
    baseline = running_median(series, 7)
    residuals = series - baseline
    finite = np.isfinite(residuals)
    cleaned = series.copy()
    if finite.sum() < 7:
        return [], cleaned
    scale = float(point_scale(series[np.isfinite(series)][None, :])[0])
    if scale <= 0:
        return [], cleaned
    flagged = np.zeros(len(series), dtype=bool)
    flagged[finite] = np.abs(residuals[finite]) > threshold * scale
    spikes = []
    for start, stop in _runs(flagged):
        if stop - start > max_length:
            continue  # a lasting departure: a change for segmentation, not a spike
        peak = start + int(np.argmax(np.abs(residuals[start:stop])))
        if not _reverts(series, start, stop, float(residuals[peak])):
            continue  # the level on either side differs: the edge of a step, not a spike
        spikes.append(
            Spike(
                index=start,
                length=stop - start,
                excursion=float(residuals[peak]),
                baseline=float(baseline[peak]),
                score=float(abs(residuals[peak]) / scale),
            )
        )
        cleaned[start:stop] = baseline[start:stop]
    return spikes, cleaned


def _reverts(series: np.ndarray, start: int, stop: int, excursion: float) -> bool:
    """Whether the level after ``[start, stop)`` is back where it was before (within half
    the excursion); a run at either end of the series has one side and counts as reverting."""
    sides = [series[max(0, start - 3) : start], series[stop : stop + 3]]
    levels = [float(np.nanmedian(side)) for side in sides if np.isfinite(side).any()]
    return len(levels) < 2 or abs(levels[1] - levels[0]) < 0.5 * abs(excursion)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))
