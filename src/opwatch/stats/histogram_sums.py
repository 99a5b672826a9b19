"""Histogram statistics from per-group sums, without the clients.

The analytic histogram statistics need only sums over a group's clients, per bucket ``k`` of
the layout: with ``s_ck`` client ``c``'s normalized share in bucket ``k`` and ``C_c(k)`` its
cumulative share up to ``k``,

- ``A_k = Σ_c s_ck`` and ``B_k = Σ_c s_ck²`` give the mean histogram and each bucket's
  standard error;
- ``D_k = Σ_c s_ck · C_c(k-1)`` completes what Woodruff's interval needs: a client's CDF at a
  point ``x`` inside bucket ``k`` is ``F_c(x) = C_c(k-1) + t · s_ck`` (``t`` the point's
  fraction of the bucket's width, as :func:`~opwatch.stats.histogram_math.cdf_at`
  interpolates), so ``Σ_c F_c(x) = Σ_{j<k} A_j + t A_k`` and
  ``Σ_c F_c(x)² = Σ_{j<k} (2 D_j + B_j) + 2 t D_k + t² B_k`` (as
  ``C_c(j)² - C_c(j-1)² = s_cj (2 C_c(j-1) + s_cj)``).

Every term is a sum over the (client, bucket) rows a client has, so an engine aggregates them
in SQL (``statistics_histogram_sums``) and only groups x buckets numbers reach Python. The
results equal :func:`~opwatch.stats.grouped.grouped_mean_histograms` and
:func:`~opwatch.stats.grouped.grouped_histogram_percentiles` (tests check it), but for the
variances' rounding: one pass over sums instead of two over the clients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opwatch.stats.grouped import mean_histogram_estimates
from opwatch.stats.histogram_math import bucket_fractions, percentiles_of_many
from opwatch.stats.intervals import Estimates, IntervalSettings, no_interval
from opwatch.stats.registry import parameter_names


@dataclass(frozen=True)
class HistogramSums:
    """Groups x buckets sums of a histogram metric's clients (see the module's docstring)."""

    clients: np.ndarray
    """Clients of each group (with a histogram)."""
    shares: np.ndarray
    """``A``: Σ of the clients' shares, groups x buckets."""
    squares: np.ndarray
    """``B``: Σ of their squares."""
    cross: np.ndarray
    """``D``: Σ of each share times the client's cumulative share before its bucket."""
    lower: np.ndarray
    """Bucket lower bounds, in the unit percentiles are reported in."""
    upper: np.ndarray
    """Bucket upper bounds (the overflow bucket's is its lower bound)."""

    def means(self) -> np.ndarray:
        """Each group's mean histogram: groups x buckets."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.shares / self.clients[:, None])


def _standard_errors(n: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """The standard error of the mean of values with sum ``total`` and sum of squares
    ``squares`` over ``n`` clients (``n`` broadcast against them); NaN for ``n < 2``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.maximum(squares - total * total / n, 0.0) / (n - 1)
        return np.asarray(np.sqrt(variance / n))


def mean_histograms_from_sums(sums: HistogramSums, settings: IntervalSettings) -> list[Estimates]:
    """The analytic ``histogram`` statistic of every group: each non-empty bucket's mean
    share with a normal interval clipped to [0, 1]."""
    se = _standard_errors(sums.clients[:, None], sums.shares, sums.squares)
    return mean_histogram_estimates(sums.clients, sums.means(), se, sums.lower, settings)


def histogram_percentiles_from_sums(
    sums: HistogramSums, percentiles: np.ndarray, settings: IntervalSettings
) -> list[Estimates]:
    """``percentiles`` of every group's mean histogram with Woodruff's intervals."""
    means = sums.means()
    q = percentiles / 100.0
    points = percentiles_of_many(sums.lower, sums.upper, means, q)
    bucket, fraction = bucket_fractions(sums.lower, sums.upper, points)
    rows = np.arange(means.shape[0])[:, None]
    cdf_before = np.cumsum(sums.shares, axis=1) - sums.shares
    square_before = np.cumsum(2 * sums.cross + sums.squares, axis=1) - (
        2 * sums.cross + sums.squares
    )
    total = cdf_before[rows, bucket] + fraction * sums.shares[rows, bucket]
    squares = (
        square_before[rows, bucket]
        + 2 * fraction * sums.cross[rows, bucket]
        + fraction**2 * sums.squares[rows, bucket]
    )
    half = settings.z * _standard_errors(sums.clients[:, None], total, squares)
    ends = np.concatenate([np.clip(q - half, 1e-9, 1.0), np.clip(q + half, 1e-9, 1.0)], axis=1)
    # the same arithmetic as the per-group path: ends go through percent and back
    read = percentiles_of_many(sums.lower, sums.upper, means, (ends * 100) / 100.0)
    lower, upper = read[:, : q.size], read[:, q.size :]
    names = parameter_names(percentiles)
    results = []
    for index, clients in enumerate(sums.clients):
        if clients < 2:
            results.append(no_interval(names, points[index]))
            continue
        se = (upper[index] - lower[index]) / (2 * settings.z)
        results.append(Estimates(names, points[index], lower[index], upper[index], se=se))
    return results
