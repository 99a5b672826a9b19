"""Bucket layouts: Firefox's legacy algorithms, Glean's functional buckets, the SQL lookup grid."""

from __future__ import annotations

import pytest

from opwatch.demo.telemetry.buckets import Layout, functional_bucket, functional_keys
from opwatch.demo.telemetry.desktop_probes import HISTOGRAMS

GC_MS_BOUNDS = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 29, 34, 40, 48, 57, 68, 81, 96, 114, 135,
    160, 190, 226, 268, 318, 378, 449, 533, 633, 752, 894, 1062, 1262, 1500, 1782, 2117, 2516,
    2990, 3553, 4222, 5017, 5961, 7083, 8416, 10000,
)  # fmt: skip
"""GC_MS (exponential, 1 to 10000, 50 buckets) as Firefox's telemetry reports it."""


def test_exponential_layout_is_firefoxs() -> None:
    assert Layout.exponential(10000, 50).bounds == GC_MS_BOUNDS


def test_small_layouts() -> None:
    assert Layout("boolean").bounds == (0, 1, 2)
    assert Layout("count").histogram_type == 4
    assert Layout.enumerated(5).bounds == (0, 1, 2, 3, 4, 5)
    assert Layout.linear(100, 101).bounds == tuple(range(101))


@pytest.mark.parametrize("layout", sorted({p.layout for p in HISTOGRAMS}, key=repr), ids=repr)
def test_grid_agrees_with_the_bounds(layout: Layout) -> None:
    grid = layout.grid
    assert all(cell_bound == 2**62 or cell_bound in layout.bounds for cell_bound in grid.inner)
    near_bounds = [b + d for b in layout.bounds for d in (-1, 0, 1) if b + d >= 0]
    for value in [*range(3000), *near_bounds, 10**12]:
        assert grid.bucket_of(value) == layout.bucket_of(value)


def test_functional_buckets() -> None:
    # Glean buckets sample + 1: 1 falls in the bucket of 2, 3 in that of 4
    assert [functional_bucket(v, 8) for v in (0, 1, 2, 3, 1000)] == [0, 2, 2, 4, 939]
    assert functional_keys(8, 4) == {0, 1, 2, 3, 4}
    assert all(functional_bucket(v, 16) in functional_keys(16, 10**7) for v in range(0, 10**6, 997))
