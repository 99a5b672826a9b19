"""The simulated null distribution gives the false-alarm rate it promises, on series it never
saw (other seeds), for the statistic the technique computes."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.detect.calibration import cusum_statistic, null_maxima, p_value, threshold
from opwatch.detect.robust import noise_scale


@pytest.mark.parametrize(("length", "alpha"), [(30, 0.05), (90, 0.05), (200, 0.02)])
def test_the_threshold_is_exceeded_at_its_rate_on_fresh_noise(length: int, alpha: float) -> None:
    rng = np.random.default_rng(12345 + length)
    noise = rng.normal(7.0, 3.0, (4000, length))  # level and scale do not matter
    largest = np.abs(cusum_statistic(noise, noise_scale(noise), 3)).max(axis=1)
    rate = float(np.mean(largest > threshold(length, 3, True, alpha)))
    margin = 4 * np.sqrt(alpha * (1 - alpha) / 4000)
    assert alpha - margin <= rate <= alpha + margin


def test_the_cusum_statistic_is_the_standardized_difference_of_means() -> None:
    series = np.random.default_rng(1).normal(size=20)
    statistic = cusum_statistic(series, 2.0, 3)
    for column, k in enumerate(range(3, 18)):
        left, right = series[:k], series[k:]
        expected = (right.mean() - left.mean()) / (2.0 * np.sqrt(1 / k + 1 / (20 - k)))
        assert statistic[column] == pytest.approx(expected)


def test_p_values_fall_with_the_statistic_and_never_reach_zero() -> None:
    values = [p_value(s, 90, 3, True) for s in (1.0, 3.0, 5.0, 50.0)]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.5 and 0 < values[-1] < 1e-3


def test_lengths_between_grid_points_use_the_longer_conservative_one() -> None:
    assert threshold(100, 3, True, 0.01) >= threshold(96, 3, True, 0.01) - 1e-9
    assert len(null_maxima(20, 3, True)) >= 4000
