"""Bucket layouts: where each bucket of a histogram starts and ends, in the metric's unit.

A client histogram only lists the buckets it has samples in, keyed by their lower bounds. To
read a percentile inside a bucket we need the bucket's upper bound, which is the next bucket of
the *layout*, not the next key present. Layouts come from the metric's definition:

- Firefox legacy histograms (``Histograms.json``): ``exponential`` and ``linear`` (bucket 0 is
  the underflow below ``low``; the last bucket is the overflow from ``high``), ``boolean``,
  ``flag`` and ``count`` (three buckets 0, 1, 2), ``enumerated`` (``n_values`` + 1 buckets of
  width 1) and ``categorical`` (one bucket per label, at least 50).
- Glean distributions: ``timing_distribution`` (nanoseconds, 8 functional buckets per power of
  2) and ``memory_distribution`` (bytes, 16 per power of 2), whose bucket of ``x`` is
  ``floor(n * log2(x + 1))`` with lower bound ``floor(2 ** (index / n))``; and
  ``custom_distribution`` with exponential or linear bucketing over ``range_min`` …
  ``range_max`` in ``bucket_count`` buckets.

Glean timing and memory distributions store nanoseconds and bytes whatever unit the probe was
recorded in; ``scale`` converts a stored value to the unit percentiles are reported in
(``time_unit`` / ``memory_unit`` of the definition).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from opwatch.errors import OpwatchError

TIMING_BUCKETS_PER_POWER_OF_2 = 8
MEMORY_BUCKETS_PER_POWER_OF_2 = 16
FUNCTIONAL_LISTED_UP_TO = 2**20
"""Functional bounds listed up front; larger ones are generated from the data's keys."""
CATEGORICAL_MIN_BUCKETS = 50
NANOSECONDS = {"nanosecond": 1, "microsecond": 10**3, "millisecond": 10**6, "second": 10**9}
NANOSECONDS |= {"minute": 60 * 10**9, "hour": 3600 * 10**9, "day": 86400 * 10**9}
BYTES = {"byte": 1, "kilobyte": 2**10, "megabyte": 2**20, "gigabyte": 2**30}
LAYOUT_KINDS = (
    "exponential",
    "linear",
    "boolean",
    "flag",
    "count",
    "enumerated",
    "categorical",
    "timing_distribution",
    "memory_distribution",
    "custom_distribution",
)
"""Every bucket layout :func:`layout_bounds` knows (``[metrics.X.buckets] kind``; config
accepts the same list, as a test pins)."""


class LayoutError(OpwatchError):
    """A bucket layout definition that cannot be used."""


def exponential_bounds(low: int, high: int, bucket_count: int) -> tuple[int, ...]:
    """Firefox's (and Glean's) exponential layout: bucket 0 is the underflow, then ``low`` …

    Each next bound is the rounded geometric step from the current bound to ``high`` spread
    over the remaining buckets, and at least one more than the current bound.
    """
    current = max(low, 1)
    bounds = [0, current]
    log_high = math.log(high)
    for index in range(2, bucket_count):
        log_current = math.log(current)
        step = (log_high - log_current) / (bucket_count - index)
        candidate = math.floor(math.exp(log_current + step) + 0.5)
        current = candidate if candidate > current else current + 1
        bounds.append(current)
    return tuple(bounds)


def linear_bounds(low: int, high: int, bucket_count: int) -> tuple[int, ...]:
    """Firefox's linear layout: bucket 0 is the underflow, then evenly spaced to ``high``."""
    low = max(low, 1)
    bounds = [0]
    for index in range(1, bucket_count):
        position = (low * (bucket_count - 1 - index) + high * (index - 1)) / (bucket_count - 2)
        bounds.append(int(position + 0.5))
    return tuple(bounds)


def glean_linear_bounds(low: int, high: int, bucket_count: int) -> tuple[int, ...]:
    """Glean's linear layout (custom distributions): as Firefox's, but positions are rounded
    down (integer division) where Firefox rounds to nearest."""
    low = max(low, 1)
    bounds = [0]
    for index in range(1, bucket_count):
        bounds.append((low * (bucket_count - 1 - index) + high * (index - 1)) // (bucket_count - 2))
    return tuple(bounds)


def functional_bucket_index(sample: float, per_power_of_2: int) -> int:
    """Glean's functional bucket index of ``sample``: ``floor(n * log2(sample + 1))``."""
    return int(math.log(sample + 1, 2 ** (1 / per_power_of_2)))


def functional_bucket_minimum(index: int, per_power_of_2: int) -> int:
    """The lower bound of functional bucket ``index``: ``floor(2 ** (index / n))``."""
    return int((2 ** (1 / per_power_of_2)) ** index)


def functional_bounds(per_power_of_2: int, largest: float) -> tuple[int, ...]:
    """Distinct functional bucket lower bounds from 0 up to the bucket after ``largest``.

    Small indexes share a lower bound (``floor`` of values under 2); a histogram has one key
    per distinct bound, so duplicates are dropped.
    """
    last = functional_bucket_index(max(largest, 0), per_power_of_2) + 1
    bounds = {0} | {functional_bucket_minimum(i, per_power_of_2) for i in range(last + 1)}
    return tuple(sorted(bounds))


@dataclass(frozen=True)
class BucketLayout:
    """The buckets of a histogram metric: their lower bounds and the unit they are read in."""

    kind: str
    lower_bounds: tuple[int, ...]
    per_power_of_2: int | None = None
    """Functional layouts' buckets per power of 2; they have no last bucket. The others (None)
    end with an overflow bucket that has no upper bound."""
    scale: float = 1.0
    """Stored value per reported unit (e.g. 1e6 ns per ms)."""
    unit: str | None = None

    def bounds_covering(self, keys: np.ndarray) -> np.ndarray:
        """Lower bounds of every bucket up to the one after the largest of ``keys``.

        Functional layouts have no last bucket: they are extended as far as the data goes.
        Keys that are not bounds of this layout (data written with another layout) are kept,
        so that no sample is lost, and take their place in the order.
        """
        bounds = np.asarray(self.lower_bounds, dtype=np.float64)
        largest = float(keys.max()) if keys.size else 0.0
        if self.per_power_of_2 is not None and largest >= bounds[-1]:
            bounds = np.asarray(functional_bounds(self.per_power_of_2, largest), np.float64)
        return np.union1d(bounds, keys.astype(np.float64))

    def upper_bounds(self, lower: np.ndarray) -> np.ndarray:
        """Each bucket's upper bound: the next lower bound; the overflow bucket has none (its
        lower bound is returned, so a percentile falling in it reads as that bound)."""
        upper = np.empty_like(lower)
        upper[:-1] = lower[1:]
        if self.per_power_of_2 is not None:
            index = functional_bucket_index(float(lower[-1]), self.per_power_of_2)
            upper[-1] = functional_bucket_minimum(index + 1, self.per_power_of_2)
        else:
            upper[-1] = lower[-1]
        return upper

    def bucket_of(self, sample: float) -> int:
        """The lower bound of the bucket holding ``sample`` (in the stored unit)."""
        if self.per_power_of_2 is not None:
            if sample <= 0:
                return 0
            index = functional_bucket_index(sample, self.per_power_of_2)
            return functional_bucket_minimum(index, self.per_power_of_2)
        position = int(np.searchsorted(self.lower_bounds, sample, side="right")) - 1
        return self.lower_bounds[max(position, 0)]


def layout_from_definition(definition: Mapping[str, Any], where: str = "buckets") -> BucketLayout:
    """The layout a metric's ``buckets`` table describes (see docs/statistics.md).

    ``where`` names the table in error messages (``metrics.gc_ms.buckets``).
    """
    kind = definition.get("kind")
    if kind not in LAYOUT_KINDS:
        raise LayoutError(f'{where}: unknown kind "{kind}"; use one of: {", ".join(LAYOUT_KINDS)}')

    def integer(name: str, default: int | None = None) -> int:
        value = definition.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise LayoutError(f"{where}: {kind} needs {name} = <a non-negative integer>")
        return value

    unit = definition.get("unit")
    if kind in ("exponential", "linear"):
        low, high, count = integer("low", 1), integer("high"), integer("bucket_count")
        if count < 3 or high <= max(low, 1):
            raise LayoutError(f"{where}: {kind} needs bucket_count >= 3 and high > low")
        make = exponential_bounds if kind == "exponential" else linear_bounds
        return BucketLayout(kind, make(low, high, count), unit=unit)
    if kind in ("boolean", "flag", "count"):
        return BucketLayout(kind, linear_bounds(1, 2, 3), unit=unit)
    if kind == "enumerated":
        n_values = integer("n_values")
        return BucketLayout(kind, linear_bounds(1, n_values, n_values + 1), unit=unit)
    if kind == "categorical":
        labels = definition.get("labels", [])
        n_values = max(len(labels), integer("n_values", 0), CATEGORICAL_MIN_BUCKETS)
        return BucketLayout(kind, linear_bounds(1, n_values, n_values + 1), unit=unit)
    if kind == "custom_distribution":
        low, high = integer("range_min", 1), integer("range_max")
        count = integer("bucket_count")
        bucketing = definition.get("histogram_type", "exponential")
        if bucketing not in ("exponential", "linear"):
            raise LayoutError(f'{where}: histogram_type must be "exponential" or "linear"')
        make = exponential_bounds if bucketing == "exponential" else glean_linear_bounds
        return BucketLayout(kind, make(low, high, count), unit=unit)
    return _functional(kind, definition, where)


def _functional(kind: str, definition: Mapping[str, Any], where: str) -> BucketLayout:
    if kind == "timing_distribution":
        units, name, default = NANOSECONDS, "time_unit", "nanosecond"
        per_power = TIMING_BUCKETS_PER_POWER_OF_2
    else:
        units, name, default = BYTES, "memory_unit", "byte"
        per_power = MEMORY_BUCKETS_PER_POWER_OF_2
    unit = definition.get(name, default)
    if unit not in units:
        raise LayoutError(f'{where}: {name} "{unit}" is not one of: {", ".join(units)}')
    bounds = functional_bounds(per_power, FUNCTIONAL_LISTED_UP_TO)
    return BucketLayout(
        kind,
        bounds,
        per_power_of_2=per_power,
        scale=float(units[unit]),
        unit=unit,
    )
