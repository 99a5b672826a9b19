"""Bucket layouts of the histograms the generator writes, and how SQL finds a sample's bucket.

Legacy Firefox histograms key their counts by bucket lower bounds computed from the probe's
definition (``Histograms.json``): exponential (log-spaced, Firefox's integer algorithm),
linear, and the small fixed layouts of boolean, flag and count histograms (enumerated ones are
linear). Glean distributions are keyed by functional buckets: ``n`` buckets per power of 2
(8 for timing, 16 for memory), the bucket of ``x`` being ``floor(n * log2(x + 1))`` and its key
``floor(2 ** (index / n))``.

DuckDB has no binary search, so finding the bucket of millions of samples needs a constant-time
lookup: :class:`BucketGrid` cuts the transformed axis (``ln`` for exponential layouts, the value
itself for linear ones) into cells narrow enough that each holds at most one bucket boundary;
a sample's bucket is then the cell's lower bucket, or the boundary inside the cell if the
sample reaches it. Cells of bounds and samples are computed with the same floating-point
operations (Python and DuckDB both call the C library's ``log``), so the lookup is exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass
from functools import cached_property

from opwatch.stats.buckets import (
    MEMORY_BUCKETS_PER_POWER_OF_2,
    TIMING_BUCKETS_PER_POWER_OF_2,
    exponential_bounds,
    linear_bounds,
)

__all__ = [
    "MEMORY_BUCKETS_PER_POWER_OF_2",
    "TIMING_BUCKETS_PER_POWER_OF_2",
    "BucketGrid",
    "Layout",
    "functional_bucket",
    "functional_keys",
]

EXPONENTIAL, LINEAR, BOOLEAN, FLAG, COUNT = "exponential", "linear", "boolean", "flag", "count"
HISTOGRAM_TYPES = {EXPONENTIAL: 0, LINEAR: 1, BOOLEAN: 2, FLAG: 3, COUNT: 4}
"""The ``histogram_type`` codes of Firefox's histogram JSON."""


@dataclass(frozen=True)
class Layout:
    """A legacy histogram's definition: kind, range and bucket count."""

    kind: str
    low: int = 1
    high: int = 2
    bucket_count: int = 3

    @classmethod
    def exponential(cls, high: int, bucket_count: int, low: int = 1) -> Layout:
        """An exponential histogram (timings, sizes)."""
        return cls(EXPONENTIAL, low, high, bucket_count)

    @classmethod
    def linear(cls, high: int, bucket_count: int, low: int = 1) -> Layout:
        """A linear histogram (percentages, small counts)."""
        return cls(LINEAR, low, high, bucket_count)

    @classmethod
    def enumerated(cls, n_values: int) -> Layout:
        """An enumerated histogram: values 0 … n_values - 1, stored as linear 1 … n_values."""
        return cls(LINEAR, 1, n_values, n_values + 1)

    @property
    def histogram_type(self) -> int:
        """The JSON ``histogram_type`` code."""
        return HISTOGRAM_TYPES[self.kind]

    @cached_property
    def bounds(self) -> tuple[int, ...]:
        """Bucket lower bounds, the keys a histogram's ``values`` may use."""
        if self.kind == EXPONENTIAL:
            return exponential_bounds(self.low, self.high, self.bucket_count)
        # boolean, flag and count histograms are linear 1..2 with 3 buckets
        return linear_bounds(self.low, self.high, self.bucket_count)

    def bucket_of(self, sample: int) -> int:
        """The lower bound of the bucket holding ``sample`` (the reference for tests)."""
        return self.bounds[bisect.bisect_right(self.bounds, sample) - 1]

    @cached_property
    def grid(self) -> BucketGrid:
        """The constant-time lookup of a sample's bucket used in SQL."""
        return BucketGrid.of(self)


@dataclass(frozen=True)
class BucketGrid:
    """Cells over the transformed axis, each holding at most one bucket boundary.

    For a sample ``v >= low``: ``cell = min(floor((t(v) - origin) * scale), cells - 1)`` with
    ``t`` = ``ln`` (``logarithmic``) or identity; its bucket is ``inner[cell]`` if
    ``v >= inner[cell]``, else ``below[cell]``. Samples under ``low`` fall in bucket 0.
    """

    logarithmic: bool
    low: int
    origin: float
    scale: float
    below: tuple[int, ...]
    inner: tuple[int, ...]
    """The boundary inside each cell, or a value no sample reaches."""

    @classmethod
    def of(cls, layout: Layout) -> BucketGrid:
        """The grid of ``layout``: as coarse as possible, one boundary per cell at most."""
        logarithmic = layout.kind == EXPONENTIAL
        positive = layout.bounds[1:]
        axis = [math.log(b) if logarithmic else float(b) for b in positive]
        gaps = [b - a for a, b in itertools.pairwise(axis)] or [1.0]
        scale = float(math.ceil(1.0 / min(gaps)) + 1)
        cells = [math.floor((a - axis[0]) * scale) for a in axis]
        count = cells[-1] + 1
        unreachable = 2**62
        inner = [unreachable] * count
        for bound, cell in zip(positive, cells, strict=True):
            inner[cell] = bound
        below, current = [], 0
        for cell in range(count):
            below.append(current)
            if inner[cell] != unreachable:
                current = inner[cell]
        return cls(logarithmic, positive[0], axis[0], scale, tuple(below), tuple(inner))

    @property
    def cells(self) -> int:
        """Number of cells."""
        return len(self.inner)

    def bucket_of(self, sample: int) -> int:
        """The grid's answer for ``sample``, computed as the SQL computes it."""
        if sample < self.low:
            return 0
        position = math.log(sample) if self.logarithmic else float(sample)
        cell = min(math.floor((position - self.origin) * self.scale), self.cells - 1)
        return self.inner[cell] if sample >= self.inner[cell] else self.below[cell]


def functional_bucket(sample: int, per_power_of_2: int) -> int:
    """Glean's functional bucket key of ``sample``: 0 for 0, else ``floor(2 ** (i / n))``."""
    if sample <= 0:
        return 0
    index = math.floor(per_power_of_2 * math.log2(sample + 1))
    return math.floor(2 ** (index / per_power_of_2))


def functional_keys(per_power_of_2: int, largest: int) -> frozenset[int]:
    """Every functional bucket key up to ``largest`` (what a Glean ``values`` key may be)."""
    keys, index = {0}, 0
    while (key := math.floor(2 ** (index / per_power_of_2))) <= largest:
        keys.add(key)
        index += 1
    return frozenset(keys)
