"""The series a technique sees: checked, as floats, and histograms reduced to summaries.

``detect`` accepts what callers have at hand (a list, a 1-D array of numbers, a 2-D array of
histograms with one row per point in time), so every input problem is reported here, once,
with the fix. Missing points are NaN: techniques skip them and report positions in the
series as given, so a position still names a day or a build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from opwatch.errors import DetectionError

SeriesKind = Literal["scalar", "histogram"]
HISTOGRAM_FEATURES = ("mean", "p05", "p50", "p95")
"""Summaries of a histogram a calibrated technique follows: where the mass is on average, and
three quantiles (a shift of the body, of the low tail, of the high tail)."""
_QUANTILES = {"p05": 0.05, "p50": 0.5, "p95": 0.95}


@dataclass(frozen=True)
class Series:
    """A checked series: ``values`` is 1-D (scalar) or 2-D (histograms, rows sum to 1)."""

    values: np.ndarray
    kind: SeriesKind
    counts: np.ndarray | None = None
    """Histograms as given (before normalization), for techniques that sum raw counts."""
    buckets: np.ndarray | None = None
    """Lower bounds of the histogram's buckets, when known: summaries are then values."""

    def __len__(self) -> int:
        return int(self.values.shape[0])


def as_series(series: Any, buckets: Any = None) -> Series:
    """``series`` checked and converted; raises DetectionError naming the problem."""
    try:
        values = np.asarray(series, dtype=float)
    except (TypeError, ValueError) as error:
        raise DetectionError(
            f"a series must be numbers (1-D) or histograms (2-D, one row per point): {error}"
        ) from None
    if values.ndim == 1:
        return Series(values, "scalar")
    if values.ndim != 2:
        raise DetectionError(
            f"a series must be 1-D (one number per point) or 2-D (one histogram per row); "
            f"got {values.ndim} dimensions of shape {values.shape}"
        )
    if np.any(values < 0):
        raise DetectionError("histogram rows must hold counts or proportions (no negatives)")
    if buckets is not None and len(buckets) != values.shape[1]:
        raise DetectionError(
            f"buckets gives {len(buckets)} bounds for histograms of {values.shape[1]} columns; "
            "pass one lower bound per column"
        )
    totals = values.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.where(totals > 0, values / totals, np.nan)
    bounds = None if buckets is None else np.asarray(buckets, dtype=float)
    return Series(normalized, "histogram", counts=values, buckets=bounds)


def histogram_features(histograms: np.ndarray, buckets: Any = None) -> dict[str, np.ndarray]:
    """Per row: the mean and the 5th, 50th and 95th percentiles of the distribution.

    Positions are continuous bucket indexes (linear inside a bucket), or values when the
    buckets' lower bounds are given (interpolated between bounds), so that a shift of one
    bucket reads the same anywhere. Rows without mass give NaN.
    """
    count = histograms.shape[1]
    positions = np.arange(count, dtype=float)
    cdf = np.cumsum(np.nan_to_num(histograms), axis=1)
    features = {"mean": np.nansum(histograms * positions, axis=1)}
    for name, q in _QUANTILES.items():
        features[name] = _quantile_positions(cdf, histograms, q)
    empty = ~np.isfinite(histograms).all(axis=1) | (cdf[:, -1] <= 0)
    for name in features:
        if buckets is not None:
            features[name] = _to_values(features[name], np.asarray(buckets, dtype=float))
        features[name][empty] = np.nan
    return features


def _quantile_positions(cdf: np.ndarray, mass: np.ndarray, q: float) -> np.ndarray:
    """The continuous bucket position where each row's CDF reaches ``q``."""
    rows = np.arange(cdf.shape[0])
    bucket = np.minimum((cdf < q - 1e-12).sum(axis=1), cdf.shape[1] - 1)
    below = np.where(bucket > 0, cdf[rows, np.maximum(bucket - 1, 0)], 0.0)
    inside = np.nan_to_num(mass[rows, bucket])
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(inside > 0, (q - below) / inside, 0.0)
    return np.asarray(bucket + np.clip(fraction, 0.0, 1.0))


def _to_values(positions: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Continuous bucket positions → values, linear between consecutive lower bounds."""
    extended = np.append(bounds, bounds[-1] + (bounds[-1] - bounds[-2] if len(bounds) > 1 else 1))
    return np.asarray(np.interp(positions, np.arange(len(extended), dtype=float), extended))
