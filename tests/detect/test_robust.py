"""The robust estimates the calibrated technique rests on, against direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opwatch.detect.robust import (
    find_spikes,
    long_run_factor,
    point_scale,
    residual_autocorrelation,
    running_median,
    weekly_pattern,
)


def test_the_point_scale_ignores_level_shifts() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(0, 2.0, (500, 200))
    shifted = values + np.where(np.arange(200) >= 100, 50.0, 0.0)
    assert np.median(point_scale(values)) == pytest.approx(2.0, rel=0.05)
    assert np.median(point_scale(shifted)) == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6])
def test_the_residual_autocorrelation_estimates_rho(rho: float) -> None:
    rng = np.random.default_rng(1)
    series, shocks = np.zeros((400, 120)), rng.normal(size=(400, 120))
    for t in range(1, 120):
        series[:, t] = rho * series[:, t - 1] + shocks[:, t]
    residuals = series - series.mean(axis=1, keepdims=True)
    assert np.median(residual_autocorrelation(residuals)) == pytest.approx(rho, abs=0.05)


def test_the_long_run_factor_turns_the_point_scale_into_the_long_run_sd() -> None:
    """AR(1) with innovation sd 1: long-run sd 1 / (1 - rho), point scale 1 / sqrt(1 + rho)."""
    rho = 0.5
    assert long_run_factor(rho) / np.sqrt(1 + rho) == pytest.approx(1 / (1 - rho))


def test_the_running_median_is_the_centered_one() -> None:
    values = np.random.default_rng(2).normal(size=30)
    values[[4, 17]] = np.nan
    expected = pd.Series(values).rolling(7, center=True, min_periods=1).median().to_numpy()
    np.testing.assert_allclose(running_median(values, 7), expected)


def test_a_clear_weekly_pattern_is_recovered_and_noise_is_left_alone() -> None:
    rng = np.random.default_rng(3)
    offsets = np.array([1.0, 1.0, 1.0, 1.0, 1.0, -2.5, -2.5])
    offsets -= offsets.mean()
    values = 50 + rng.normal(0, 0.3, 84) + offsets[np.arange(84) % 7]
    np.testing.assert_allclose(weekly_pattern(values, 7)[:7], offsets, atol=0.25)
    assert not weekly_pattern(rng.normal(size=84), 7).any()


def test_spikes_are_set_aside_and_steps_are_not() -> None:
    values = np.random.default_rng(4).normal(size=60)
    values[20] += 15
    values[40:] += 15
    spikes, cleaned = find_spikes(values)
    assert [(s.index, s.length) for s in spikes] == [(20, 1)]
    assert abs(cleaned[20]) < 3 and cleaned[45] == values[45]
