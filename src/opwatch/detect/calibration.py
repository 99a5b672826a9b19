"""How large a CUSUM statistic gets on a series where nothing changed: the calibration.

The segmentation technique standardizes its statistic by a noise scale it estimates from the
series itself (a point scale from neighbour differences, widened by the autocorrelation of the
residuals of a first search), so the statistic's null distribution is that of the whole
procedure, scale estimate included, not a textbook one. It is simulated: many seeded series
of independent normal noise of the same length go through the same estimator and statistic,
and the sorted maxima give p-values, with a fitted tail beyond the top 1 % (so small p-values
are not stuck at one over the number of simulations). Lengths are rounded up to a grid (the
maxima grow very slowly with the length, and rounding up errs on the quiet side), and each
grid length is simulated once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from opwatch.detect.robust import long_run_factor, point_scale, residual_autocorrelation

SIMULATED_VALUES = 8_000_000
"""Points simulated per grid length (about 0.5 s): 20,000 series up to 400 points."""
MIN_SIMULATIONS, MAX_SIMULATIONS = 4_000, 20_000
GRID_RATIO = 1.1
BUMP_LENGTH_RATIO = 1.25


def cusum_statistic(series: np.ndarray, scale: np.ndarray | float, min_size: int) -> np.ndarray:
    """The standardized CUSUM of each split point ``k`` (``min_size <= k <= n - min_size``).

    Column ``j`` splits before position ``min_size + j``. The value is the difference of the
    means after and before the split in units of its standard error under constant mean:
    ``(mean_after - mean_before) * sqrt(k (n - k) / n) / scale``; positive means up.
    """
    n = series.shape[-1]
    splits = np.arange(min_size, n - min_size + 1)
    sums = np.cumsum(series, axis=-1)
    total = sums[..., -1:]
    left = sums[..., splits - 1]
    # sum_left - k/n * total = k (n - k) / n * (mean_left - mean_right)
    weight = np.sqrt(splits * (n - splits) / n)
    scale = np.asarray(scale, dtype=float)[..., None] if np.ndim(scale) else scale
    return np.asarray(-(left - splits / n * total) / (weight * scale))


def bump_lengths(min_size: int, longest: int, length: int) -> list[int]:
    """The bump lengths searched: ``min_size`` up to ``longest`` (and what the series leaves
    room for) in steps of a quarter, so a search costs a dozen passes, not one per length;
    a bump between two lengths is seen, a little weaker, at either."""
    limit = min(longest, length - 3 * min_size)
    lengths: list[int] = []
    current = float(min_size)
    while round(current) <= limit:
        if not lengths or round(current) != lengths[-1]:
            lengths.append(round(current))
        current *= BUMP_LENGTH_RATIO
    return lengths


def bump_statistics(
    series: np.ndarray, scale: np.ndarray | float, min_size: int, lengths: list[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """For each bump length ``L`` of ``lengths``, the standardized difference between the
    mean of the ``L`` points from each start and the mean of the points outside them (an
    "epidemic" change: a step that reverts), positive when the bump is up; starts leave
    ``min_size`` points on either side. Column ``j`` of length ``L`` starts at position
    ``min_size + j``."""
    n = series.shape[-1]
    sums = np.concatenate([np.zeros((*series.shape[:-1], 1)), np.cumsum(series, axis=-1)], -1)
    total = sums[..., -1:]
    scale = np.asarray(scale, dtype=float)[..., None] if np.ndim(scale) else scale
    for length in lengths:
        starts = np.arange(min_size, n - min_size - length + 1)
        inside = sums[..., starts + length] - sums[..., starts]
        difference = inside / length - (total - inside) / (n - length)
        yield length, difference * np.sqrt(length * (n - length) / n) / scale


TAIL_SHARE = 0.01
"""The top share of the simulated maxima the tail model is fitted to."""


@dataclass(frozen=True)
class NullDistribution:
    """Simulated maxima of a statistic on quiet series, with a model of their far tail.

    Below the top ``TAIL_SHARE`` the p-value is the empirical share; above it, where a few
    thousand simulations leave too few values to tell 1e-4 from 1e-6, it follows the tail of
    the maximum of a Gaussian process, ``log P(M > x) = a + b x^2``, fitted to the top values.
    """

    maxima: np.ndarray
    tail_start: float
    a: float
    b: float

    @classmethod
    def of(cls, maxima: np.ndarray) -> NullDistribution:
        ordered = np.sort(maxima)
        count = len(ordered)
        top = max(10, int(count * TAIL_SHARE))
        values = ordered[-top:]
        survival = (count - np.arange(count - top, count) - 0.5) / count
        b, a = np.polyfit(values**2, np.log(survival), 1)
        return cls(ordered, float(values[0]), float(a), float(min(b, -1e-6)))

    def p_value(self, statistic: float) -> float:
        """The chance of a maximum at least ``statistic`` on a quiet series."""
        if statistic <= self.tail_start:
            exceed = len(self.maxima) - int(np.searchsorted(self.maxima, statistic, side="left"))
            return exceed / len(self.maxima)
        return float(min(TAIL_SHARE, np.exp(self.a + self.b * statistic**2)))

    def quantile(self, alpha: float) -> float:
        """The statistic exceeded with probability ``alpha``."""
        if alpha >= TAIL_SHARE:
            return float(np.quantile(self.maxima, 1.0 - alpha))
        return float(np.sqrt(max(0.0, (np.log(alpha) - self.a) / self.b)))


def p_value(
    statistic: float, length: int, min_size: int, autocorrelation: bool, bump: int = 0
) -> float:
    """The chance that a quiet series of ``length`` points has a largest |CUSUM| (or largest
    |bump statistic| of bumps up to ``bump`` points) of at least ``statistic``."""
    return null_distribution(length, min_size, autocorrelation, bump).p_value(statistic)


def threshold(
    length: int, min_size: int, autocorrelation: bool, alpha: float, bump: int = 0
) -> float:
    """The statistic a quiet series of ``length`` points exceeds with probability ``alpha``."""
    return null_distribution(length, min_size, autocorrelation, bump).quantile(alpha)


@cache
def null_distribution(
    length: int, min_size: int, autocorrelation: bool, bump: int = 0
) -> NullDistribution:
    """The null distribution of the statistic for series of ``length`` points (on the grid)."""
    grid = _grid_length(length)
    return NullDistribution.of(null_maxima(grid, min_size, autocorrelation, bump))


@cache
def null_maxima(length: int, min_size: int, autocorrelation: bool, bump: int = 0) -> np.ndarray:
    """Sorted largest |CUSUM| (``bump`` 0) or |bump statistic| of bumps up to ``bump``
    points, of seeded quiet series of ``length`` points."""
    count = int(np.clip(SIMULATED_VALUES // length, MIN_SIMULATIONS, MAX_SIMULATIONS))
    rng = np.random.default_rng([length, min_size, int(autocorrelation), bump])
    maxima = []
    for chunk in np.array_split(np.arange(count), max(1, count * length // 1_000_000)):
        noise = rng.standard_normal((len(chunk), length))
        scale = null_scale(noise, autocorrelation)
        if bump:
            largest = np.zeros(len(chunk))
            lengths = bump_lengths(min_size, bump, length)
            for _, statistic in bump_statistics(noise, scale, min_size, lengths):
                largest = np.maximum(largest, np.abs(statistic).max(axis=-1))
        else:
            largest = np.abs(cusum_statistic(noise, scale, min_size)).max(axis=-1)
        maxima.append(largest)
    return np.sort(np.concatenate(maxima))


def null_scale(noise: np.ndarray, autocorrelation: bool) -> np.ndarray:
    """The scale binseg estimates, on quiet series: the point scale, times the long-run
    factor of the residuals' autocorrelation (a quiet series' first search finds no change,
    so its residuals are the series around its mean)."""
    scale = point_scale(noise)
    if not autocorrelation:
        return scale
    residuals = noise - noise.mean(axis=-1, keepdims=True)
    return np.asarray(scale * long_run_factor(residual_autocorrelation(residuals)))


def _grid_length(length: int) -> int:
    """``length`` rounded up to the calibration grid (exact below 24 points)."""
    if length <= 24:
        return length
    step = int(np.ceil(np.log(length / 24) / np.log(GRID_RATIO)))
    return int(np.ceil(24 * GRID_RATIO**step))
