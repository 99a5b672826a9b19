"""The client rows the statistics step reads back, as arrays: groups as contiguous slices.

The engine returns a day's rows sorted by group id (and client within a group): a group is a
``(start, end)`` slice of every column. Histograms come in long format, one row per (client,
bucket), and become dense client x bucket matrices here, a chunk of groups at a time — or, when
the statistics need no more, as the engine's per-(group, bucket) sums, groups x buckets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import numpy as np

from opwatch.stats.histogram_math import dense_matrix
from opwatch.stats.histogram_sums import HistogramSums


class LongHistograms:
    """A day's client histograms as read: one row per (client, bucket), groups as slices."""

    CELLS = 5_000_000
    """Largest stacked matrix (client rows x max(buckets, percentiles)) built at once."""

    def __init__(
        self,
        clients: np.ndarray,
        buckets: np.ndarray,
        shares: np.ndarray,
        bounds: list[tuple[int, int]],
        hashes: np.ndarray | None = None,
    ) -> None:
        self.clients, self.buckets, self.shares, self.bounds = clients, buckets, shares, bounds
        self.hashes = hashes
        """Each row's client as :func:`~opwatch.stats.replicates.client_hash`, if read."""

    def client_hashes(self, group: int) -> np.ndarray | None:
        """The group's clients' hashes, in the order of their indexes (their bootstrap
        weights), if read."""
        if self.hashes is None:
            return None
        start, end = self.bounds[group]
        _, first = np.unique(self.clients[start:end], return_index=True)
        return np.asarray(self.hashes[start:end][first], dtype=np.int64)

    def size(self, group: int) -> int:
        """The group's number of clients (client indexes are 0 … n-1 in order)."""
        return int(self.clients[self.bounds[group][1] - 1]) + 1

    def chunks(self, groups: list[int], buckets: int) -> Iterator[list[int]]:
        """``groups`` cut so that each chunk's stacked matrix stays under :attr:`CELLS`."""
        width = max(buckets, 128)
        chunk: list[int] = []
        rows = 0
        for group in groups:
            if chunk and (rows + self.size(group)) * width > self.CELLS:
                yield chunk
                chunk, rows = [], 0
            chunk.append(group)
            rows += self.size(group)
        if chunk:
            yield chunk

    def matrix(
        self, groups: list[int], lower: np.ndarray, scale: float
    ) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """``groups``' clients stacked as rows x buckets (``lower``), with each group's rows."""
        sizes = [self.size(group) for group in groups]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        slices = [slice(*self.bounds[group]) for group in groups]
        rows = np.concatenate(
            [self.clients[part] + offset for part, offset in zip(slices, offsets, strict=False)]
        )
        keys = np.concatenate([self.buckets[part] for part in slices]) / scale
        shares = np.concatenate([self.shares[part] for part in slices])
        stacked = dense_matrix(rows, keys, shares, lower, int(offsets[-1]))
        row_bounds = [(int(a), int(b)) for a, b in pairwise(offsets.tolist())]
        return stacked, row_bounds


def group_bounds(groups: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal group ids in a sorted array."""
    ids = np.asarray(groups)
    if ids.size == 0:
        return []
    starts = np.concatenate([[0], np.flatnonzero(np.diff(ids)) + 1])
    ends = np.append(starts[1:], ids.size)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def floats(column: Any) -> np.ndarray:
    """A numpy column as floats, NULL (masked) → NaN."""
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype(np.float64), np.nan)
    return np.asarray(column, dtype=np.float64)


Layout = tuple[np.ndarray, np.ndarray, float]
"""A metric's bucket lower and upper bounds in the reported unit, and the stored unit's scale."""


def histogram_sums(
    data: dict[str, Any],
    group_keys: list[tuple[Any, ...]],
    layout_of: Callable[[str, np.ndarray], Layout],
) -> dict[str, tuple[list[int], HistogramSums]]:
    """The engine's per-(group, bucket) sums (``statistics_histogram_sums``) as each metric's
    :class:`HistogramSums`, with the group ids they are of. The metric of a group is its
    key's next-to-last value (the probe); its layout comes from ``layout_of(metric, the
    bucket keys it has)``, as for client rows."""
    group_ids = np.asarray(data["opwatch_group"], dtype=np.int64)
    buckets = floats(data["bucket"])
    columns = {name: floats(data[name]) for name in ("shares", "squares", "cross", "clients")}
    metric_of_group = np.asarray([str(key[-2]) for key in group_keys], dtype=object)
    found: dict[str, tuple[list[int], HistogramSums]] = {}
    for metric in sorted(set(metric_of_group.tolist())):
        groups = np.flatnonzero(metric_of_group == metric)
        rows = np.isin(group_ids, groups)
        lower, upper, scale = layout_of(metric, buckets[rows])
        row_of = np.searchsorted(groups, group_ids[rows])
        column = np.searchsorted(lower, buckets[rows] / scale)
        cells = {}
        for name in ("shares", "squares", "cross"):
            matrix = np.zeros((groups.size, lower.size))
            np.add.at(matrix, (row_of, column), columns[name][rows])
            cells[name] = matrix
        clients = np.zeros(groups.size)
        clients[row_of] = columns["clients"][rows]
        summed = HistogramSums(
            clients, cells["shares"], cells["squares"], cells["cross"], lower, upper
        )
        found[metric] = (groups.tolist(), summed)
    return found
