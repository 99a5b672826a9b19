"""``cdf_squared`` computes mozdetect's signal (checked against a plain loop over the
definition), finds a planted shift, and, as documented, alarms on quiet series too."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, filtfilt

from opwatch.detect import detect
from opwatch.detect.cdf_squared import CdfSquared
from opwatch.detect.series import as_series
from tests.detect.helpers import daily_mus, histograms, noise


def signal_by_the_definition(counts: np.ndarray) -> list[float]:
    """Week sums → CDFs → signed squared difference of CDFs a week apart, with loops."""
    signed = []
    for start in range(len(counts) - 6 - 7):
        earlier = counts[start : start + 7].sum(axis=0)
        later = counts[start + 7 : start + 14].sum(axis=0)
        cdf_a, cdf_b = np.cumsum(earlier) / earlier.sum(), np.cumsum(later) / later.sum()
        total = sum(a - b for a, b in zip(cdf_a, cdf_b, strict=True))
        squares = sum((b - a) ** 2 for a, b in zip(cdf_a, cdf_b, strict=True))
        signed.append(squares * (1 if total > 0 else -1 if total < 0 else 0))
    return signed


def test_changes_are_the_peaks_of_the_smoothed_signal_over_its_quantile() -> None:
    counts = histograms(3, daily_mus(3, length=60))
    signed = np.asarray(signal_by_the_definition(counts))
    b, a = butter(5, 0.4)
    smoothed = filtfilt(b, a, signed)
    threshold = np.quantile(np.abs(smoothed), 0.85)
    expected = set()
    for i in range(1, len(smoothed) - 1):
        for sign, direction in ((1, "up"), (-1, "down")):
            value, left, right = (sign * smoothed[j] for j in (i, i - 1, i + 1))
            if value >= threshold and value > left and value > right:
                expected.add((i + 7, direction))
    found = {(c.index, c.direction) for c in CdfSquared().find(as_series(counts))}
    assert found and found <= expected  # find_peaks also keeps peaks 3 apart only
    assert len(expected) - len(found) <= 1


def test_a_planted_histogram_shift_is_found_near_its_day() -> None:
    mus = daily_mus(4)
    mus[50:] += 0.15
    changes = detect(histograms(4, mus), "cdf_squared")
    assert any(abs(c.index - 50) <= 5 and c.direction == "up" for c in changes)


def test_it_alarms_on_series_where_nothing_changed() -> None:
    """The threshold is a quantile of the series itself: the weakness opwatch's binseg fixes."""
    alarmed = sum(bool(detect(noise(seed), "cdf_squared")) for seed in range(20))
    assert alarmed >= 18


def test_a_scalar_series_is_read_as_one_observation_per_point() -> None:
    values = noise(6)
    values[45:] += 4.0
    changes = detect(values, "cdf_squared")
    near = [c for c in changes if abs(c.index - 45) <= 5]
    assert near and near[0].direction == "up"
    assert near[0].after - near[0].before == pytest.approx(near[0].magnitude)
