"""Percentiles read from a histogram follow one written definition, checked on hand-made vectors.

With bucket lower bounds b_k, upper bounds u_k = b_{k+1} (the last, overflow, bucket has no
width: u = b), shares s_k and cumulative shares C_k: for q = p/100, k is the first bucket with
s_k > 0 and C_k >= q - 1e-12, and the value is b_k + (q - C_{k-1}) / s_k * (u_k - b_k), clamped
to [b_k, u_k]. Every expected value was worked out by hand from that definition.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import numpy as np
import pytest

from opwatch.stats.histogram_math import histogram_percentiles
from tests.conformance import cases, exact, load_vectors

PERCENTILES = load_vectors("histogram_percentiles")
TOLERANCE = 1e-9


def bounds(vector: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds as the definition has them: the overflow bucket ends where it
    starts."""
    lower = np.asarray(vector["lower_bounds"], dtype=np.float64)
    return lower, np.append(lower[1:], lower[-1])


def key(vector: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return tuple(vector["lower_bounds"]), tuple(vector["percentiles"])


def shared_layouts() -> list[Any]:
    """Vectors with the same bounds and percentiles, to be read together as rows of one call."""
    ordered = sorted(PERCENTILES, key=key)
    groups = [list(group) for _, group in groupby(ordered, key=key)]
    return [pytest.param(g, id="+".join(v["name"] for v in g)) for g in groups if len(g) > 1]


def test_vectors_are_well_formed() -> None:
    """Shares are non-negative and sum to 1; percentiles lie in (0, 100]."""
    for vector in PERCENTILES:
        shares = np.asarray(vector["shares"], dtype=np.float64)
        assert len(shares) == len(vector["lower_bounds"]), vector["name"]
        assert (shares >= 0).all() and abs(shares.sum() - 1) < 1e-12, vector["name"]
        assert all(0 < p <= 100 for p in vector["percentiles"]), vector["name"]
        assert len(vector["expected"]) == len(vector["percentiles"]), vector["name"]


@pytest.mark.parametrize("vector", cases(PERCENTILES, "shares"))
def test_histogram_percentiles(vector: dict[str, Any]) -> None:
    """One histogram, passed as a single row."""
    lower, upper = bounds(vector)
    shares = np.asarray([vector["shares"]], dtype=np.float64)
    percentiles = np.asarray(vector["percentiles"], dtype=np.float64)
    result = histogram_percentiles(lower, upper, shares, percentiles)
    expected = [exact(value) for value in vector["expected"]]
    assert result.shape == (1, len(percentiles))
    np.testing.assert_allclose(result[0], expected, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("group", shared_layouts())
def test_rows_are_read_independently(group: list[dict[str, Any]]) -> None:
    """Several histograms of one layout in one call: each row gets its own percentiles."""
    lower, upper = bounds(group[0])
    shares = np.asarray([vector["shares"] for vector in group], dtype=np.float64)
    percentiles = np.asarray(group[0]["percentiles"], dtype=np.float64)
    result = histogram_percentiles(lower, upper, shares, percentiles)
    expected = [[exact(value) for value in vector["expected"]] for vector in group]
    assert result.shape == (len(group), len(percentiles))
    np.testing.assert_allclose(result, expected, rtol=TOLERANCE, atol=TOLERANCE)
