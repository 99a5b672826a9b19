"""The simulated null distributions give the false-alarm rates they promise, on series they
never saw (other seeds), for the statistics the technique computes, out to the fitted tail."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.detect.calibration import (
    bump_lengths,
    bump_statistics,
    cusum_statistic,
    null_distribution,
    null_scale,
    p_value,
    threshold,
)


def largest_cusum(noise: np.ndarray) -> np.ndarray:
    return np.abs(cusum_statistic(noise, null_scale(noise, True), 3)).max(axis=1)


def largest_bump(noise: np.ndarray, longest: int) -> np.ndarray:
    scale = null_scale(noise, True)
    lengths = bump_lengths(3, longest, noise.shape[1])
    return np.max(
        [np.abs(s).max(axis=1) for _, s in bump_statistics(noise, scale, 3, lengths)], axis=0
    )


def within_binomial_noise(rate: float, alpha: float, trials: int) -> bool:
    margin = 4 * np.sqrt(alpha * (1 - alpha) / trials)
    return alpha - margin <= rate <= alpha + margin


@pytest.mark.parametrize(("length", "alpha"), [(30, 0.05), (90, 0.05), (200, 0.02)])
def test_the_threshold_is_exceeded_at_its_rate_on_fresh_noise(length: int, alpha: float) -> None:
    noise = np.random.default_rng(12345 + length).normal(7.0, 3.0, (4000, length))
    rate = float(np.mean(largest_cusum(noise) > threshold(length, 3, True, alpha)))
    assert within_binomial_noise(rate, alpha, 4000)


def test_the_fitted_tail_holds_far_beyond_the_empirical_share() -> None:
    """At 0.001 the threshold comes from the tail model (top 1 % of 20,000 simulations)."""
    noise = np.random.default_rng(777).normal(size=(40_000, 60))
    rate = float(np.mean(largest_cusum(noise) > threshold(60, 3, True, 0.001)))
    assert within_binomial_noise(rate, 0.001, 40_000)


def test_the_bump_statistic_has_its_own_calibrated_null() -> None:
    noise = np.random.default_rng(778).normal(size=(4000, 60))
    limit = threshold(60, 3, True, 0.02, bump=20)
    assert limit > threshold(60, 3, True, 0.02)  # more shapes searched, a higher bar
    rate = float(np.mean(largest_bump(noise, 20) > limit))
    assert within_binomial_noise(rate, 0.02, 4000)


def test_the_cusum_statistic_is_the_standardized_difference_of_means() -> None:
    series = np.random.default_rng(1).normal(size=20)
    statistic = cusum_statistic(series, 2.0, 3)
    for column, k in enumerate(range(3, 18)):
        left, right = series[:k], series[k:]
        expected = (right.mean() - left.mean()) / (2.0 * np.sqrt(1 / k + 1 / (20 - k)))
        assert statistic[column] == pytest.approx(expected)


def test_the_bump_statistic_is_the_standardized_difference_inside_and_outside() -> None:
    series = np.random.default_rng(2).normal(size=24)
    for length, statistic in bump_statistics(series, 1.5, 3, list(range(3, 11))):
        for column, start in enumerate(range(3, 24 - 3 - length + 1)):
            inside = series[start : start + length]
            outside = np.concatenate([series[:start], series[start + length :]])
            expected = (inside.mean() - outside.mean()) / (
                1.5 * np.sqrt(1 / length + 1 / len(outside))
            )
            assert statistic[column] == pytest.approx(expected)


def test_p_values_fall_with_the_statistic_and_never_reach_zero() -> None:
    values = [p_value(s, 90, 3, True) for s in (1.0, 3.0, 5.0, 8.0, 20.0)]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.5 and 0 < values[-1] < 1e-10
    distribution = null_distribution(90, 3, True)
    assert distribution.p_value(distribution.tail_start + 1e-9) <= 0.01


def test_lengths_between_grid_points_use_the_longer_conservative_one() -> None:
    assert threshold(100, 3, True, 0.01) >= threshold(96, 3, True, 0.01) - 1e-9
