"""Client histograms as matrices, their mean, and percentiles read from a histogram.

The ETL stores each client's histogram normalized (its buckets sum to 1), so that every client
weighs the same. A group of clients becomes a dense matrix (rows = clients, columns = the
layout's buckets) whose column means are the group's histogram.

Percentile of a histogram (the interpolation, also in docs/statistics.md): with bucket lower
bounds ``b_k``, upper bounds ``u_k`` (the next bucket's lower bound; the overflow bucket has
none, ``u = b``), shares ``s_k`` and cumulative shares ``C_k``, the ``p``-th percentile is in the
first bucket ``k`` with ``s_k > 0`` and ``C_k >= p/100``, at
``b_k + (p/100 - C_{k-1}) / s_k * (u_k - b_k)``: samples are taken as spread evenly inside their
bucket, as a histogram cannot say more.
"""

from __future__ import annotations

import numpy as np

CUMULATIVE_TOLERANCE = 1e-12
"""Shares are sums of floating-point fractions: a cumulative share this close to ``q`` is ``q``."""


def histogram_percentiles(
    lower_bounds: np.ndarray,
    upper_bounds: np.ndarray,
    shares: np.ndarray,
    percentiles: np.ndarray,
) -> np.ndarray:
    """The ``percentiles`` (0-100) of histograms with the given buckets, interpolated linearly.

    ``shares`` is one histogram (1-D) or one per row (2-D); rows are normalized here. Returns
    one value per percentile, or a row of them per histogram; NaN for an empty histogram.
    """
    matrix = np.atleast_2d(np.asarray(shares, dtype=np.float64))
    q = np.asarray(percentiles, dtype=np.float64) / 100.0
    values = percentiles_of_many(lower_bounds, upper_bounds, matrix, q)
    return values[0] if np.ndim(shares) == 1 else values


def percentiles_of_many(
    lower_bounds: np.ndarray, upper_bounds: np.ndarray, shares: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """Percentiles (as fractions ``q``: one list, or one per row) of many histograms at once:
    rows x percentiles.

    Vectorized over rows and percentiles (bootstrap resamples come by the thousand). A
    percentile's bucket is the first whose cumulative share reaches ``q`` (it is never an empty
    bucket: an empty one repeats the previous cumulative share, which reached ``q`` first).
    Row ``r``'s cumulative shares, all in [0, 1], are shifted by ``2r`` so that every row's
    search is one ``searchsorted`` over a single increasing array.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized_rows = shares / shares.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(normalized_rows, axis=1)
    rows, buckets = cumulative.shape
    targets = np.asarray(q, dtype=np.float64)  # one list for all rows, or one list per row
    count = targets.shape[-1]
    offsets = 2.0 * np.arange(rows)[:, None]
    flat = (np.where(np.isfinite(cumulative), cumulative, 0.0) + offsets).ravel()
    wanted = np.broadcast_to(targets - CUMULATIVE_TOLERANCE + offsets, (rows, count))
    found = np.searchsorted(flat, wanted.ravel())
    row = np.arange(rows)[:, None]
    bucket = np.minimum(found.reshape(rows, count) - row * buckets, buckets - 1)
    before = np.where(bucket > 0, cumulative[row, np.maximum(bucket - 1, 0)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.clip((targets - before) / normalized_rows[row, bucket], 0.0, 1.0)
    width = upper_bounds[bucket] - lower_bounds[bucket]
    return np.asarray(lower_bounds[bucket] + fraction * width)


def cdf_at(
    lower_bounds: np.ndarray,
    upper_bounds: np.ndarray,
    shares: np.ndarray,
    x: np.ndarray,
    row_of: np.ndarray | None = None,
) -> np.ndarray:
    """Each row's cumulative share at points ``x``, interpolated inside the bucket (the
    inverse of the percentile above): rows x points.

    ``x`` is one list of points for every row, or one list per group of rows with ``row_of``
    giving each row's group (stacked clients of many groups, each at its group's points).
    """
    matrix = np.atleast_2d(shares)
    inside, fraction = bucket_fractions(lower_bounds, upper_bounds, x)
    if row_of is not None:
        inside, fraction = inside[row_of], fraction[row_of]
    cumulative = np.cumsum(matrix, axis=1)
    rows = np.arange(matrix.shape[0])[:, None]
    before = np.where(inside > 0, cumulative[rows, np.maximum(inside - 1, 0)], 0.0)
    return np.asarray(before + fraction * matrix[rows, inside])


def bucket_fractions(
    lower_bounds: np.ndarray, upper_bounds: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The bucket each point of ``x`` lies in and the fraction of the bucket's width below
    it (0 before the first bucket, 1 in the overflow bucket): where a client's CDF at the
    point is its cumulative share before the bucket plus that fraction of the bucket's."""
    points = np.asarray(x, dtype=np.float64)
    bucket = np.searchsorted(lower_bounds, points, side="right") - 1
    inside = np.clip(bucket, 0, lower_bounds.size - 1)
    width = upper_bounds[inside] - lower_bounds[inside]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(width > 0, (points - lower_bounds[inside]) / width, 1.0)
    return inside, np.where(bucket < 0, 0.0, np.clip(fraction, 0.0, 1.0))


def dense_matrix(
    rows: np.ndarray, keys: np.ndarray, shares: np.ndarray, bounds: np.ndarray, n_rows: int
) -> np.ndarray:
    """Long (row, key, share) entries as a rows x buckets matrix over ``bounds``."""
    matrix = np.zeros((n_rows, bounds.size))
    columns = np.searchsorted(bounds, keys)
    np.add.at(matrix, (rows, columns), shares)
    return matrix
