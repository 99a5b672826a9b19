"""How large a CUSUM statistic gets on a series where nothing changed: the calibration.

The segmentation technique standardizes its statistic by a noise scale it estimates from the
series itself, so the statistic's null distribution is that of the whole procedure (scale
estimate included), not a textbook one. It is simulated: many seeded series of independent
normal noise of the same length go through the same estimator and statistic, and the sorted
maxima give p-values. Lengths are rounded up to a grid (the maxima grow very slowly with the
length, and rounding up errs on the quiet side), and each grid length is simulated once per
process.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from opwatch.detect.robust import noise_scale

SIMULATED_VALUES = 8_000_000
"""Points simulated per grid length (about 0.5 s): 20,000 series up to 400 points."""
MIN_SIMULATIONS, MAX_SIMULATIONS = 4_000, 20_000
GRID_RATIO = 1.1


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


def p_value(statistic: float, length: int, min_size: int, autocorrelation: bool) -> float:
    """The share of quiet series of ``length`` points whose largest |CUSUM| reaches
    ``statistic`` (with one added to both counts, so it is never zero)."""
    maxima = null_maxima(_grid_length(length), min_size, autocorrelation)
    exceed = len(maxima) - int(np.searchsorted(maxima, statistic, side="left"))
    return (exceed + 1) / (len(maxima) + 1)


def threshold(length: int, min_size: int, autocorrelation: bool, alpha: float) -> float:
    """The |CUSUM| a quiet series of ``length`` points exceeds with probability ``alpha``."""
    maxima = null_maxima(_grid_length(length), min_size, autocorrelation)
    return float(np.quantile(maxima, 1.0 - alpha))


@cache
def null_maxima(length: int, min_size: int, autocorrelation: bool) -> np.ndarray:
    """Sorted largest |CUSUM| of seeded quiet series of ``length`` points."""
    count = int(np.clip(SIMULATED_VALUES // length, MIN_SIMULATIONS, MAX_SIMULATIONS))
    rng = np.random.default_rng([length, min_size, int(autocorrelation)])
    maxima = []
    for chunk in np.array_split(np.arange(count), max(1, count * length // 1_000_000)):
        noise = rng.standard_normal((len(chunk), length))
        scale = noise_scale(noise, autocorrelation)
        maxima.append(np.abs(cusum_statistic(noise, scale, min_size)).max(axis=-1))
    return np.sort(np.concatenate(maxima))


def _grid_length(length: int) -> int:
    """``length`` rounded up to the calibration grid (exact below 24 points)."""
    if length <= 24:
        return length
    step = int(np.ceil(np.log(length / 24) / np.log(GRID_RATIO)))
    return int(np.ceil(24 * GRID_RATIO**step))
