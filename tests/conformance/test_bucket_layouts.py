"""Bucket layouts agree with the ones Firefox and Glean really use.

A percentile read inside a bucket needs the bucket's bounds, and a client histogram only names
the buckets it has samples in: a layout that is off by one bucket somewhere silently shifts
every percentile there. The vectors come from Mozilla's tests and from keys of real data.
"""

from __future__ import annotations

from typing import Any

import pytest

from opwatch.stats.buckets import LAYOUT_KINDS, layout_from_definition
from tests.conformance import cases, load_vectors

LAYOUTS = load_vectors("bucket_layouts")
EXPECTATIONS = ("lower_bounds", "lower_bounds_prefix", "samples")


def test_vectors_are_well_formed() -> None:
    """Each vector says where it comes from and checks something; derived ones show their sums."""
    for vector in LAYOUTS:
        assert vector["source"], vector["name"]
        assert any(key in vector for key in EXPECTATIONS), vector["name"]
        if "samples" in vector:
            assert len(vector["samples"]) == len(vector["bucket_minimums"]), vector["name"]
        if vector["source"].startswith("derived"):
            assert vector["derivation"], vector["name"]


def test_every_kind_is_covered() -> None:
    """Every kind opwatch accepts, and both custom bucketings, have at least one vector."""
    kinds = {vector["definition"]["kind"] for vector in LAYOUTS}
    assert kinds == set(LAYOUT_KINDS)
    custom = {
        vector["definition"]["histogram_type"]
        for vector in LAYOUTS
        if vector["definition"]["kind"] == "custom_distribution"
    }
    assert custom == {"exponential", "linear"}


@pytest.mark.parametrize("vector", cases(LAYOUTS, "lower_bounds"))
def test_lower_bounds_are_exact(vector: dict[str, Any]) -> None:
    """The complete list of bucket lower bounds, underflow and overflow buckets included."""
    layout = layout_from_definition(vector["definition"])
    assert list(layout.lower_bounds) == vector["lower_bounds"]


@pytest.mark.parametrize("vector", cases(LAYOUTS, "lower_bounds_prefix"))
def test_functional_lower_bounds_start_as_published(vector: dict[str, Any]) -> None:
    """Functional layouts have no last bucket: their first listed bounds are checked."""
    layout = layout_from_definition(vector["definition"])
    prefix = vector["lower_bounds_prefix"]
    assert list(layout.lower_bounds[: len(prefix)]) == prefix


@pytest.mark.parametrize("vector", cases(LAYOUTS, "samples", "bucket_minimums"))
def test_samples_fall_in_the_published_buckets(vector: dict[str, Any]) -> None:
    """Samples, in the stored unit (nanoseconds, bytes), land in the bucket Glean or Firefox
    records them in; a key seen in real data is its own bucket."""
    layout = layout_from_definition(vector["definition"])
    assert [layout.bucket_of(sample) for sample in vector["samples"]] == vector["bucket_minimums"]
