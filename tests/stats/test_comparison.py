"""Branch comparisons: differences and relative differences with their intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from opwatch.stats.comparison import DIFFERENCE, RELATIVE_DIFFERENCE, compare
from opwatch.stats.intervals import Estimates, IntervalSettings, from_draws, no_interval

SETTINGS = IntervalSettings()


def analytic(point: float, se: float, parameter: str = "50") -> Estimates:
    return Estimates([parameter], np.array([point]), np.array([np.nan]), np.array([np.nan]),
                     se=np.array([se]))  # fmt: skip


def test_analytic_difference_combines_standard_errors() -> None:
    result = compare(analytic(12.0, 0.3), analytic(10.0, 0.4), SETTINGS)
    low, high = scipy_stats.norm.interval(0.95, loc=2.0, scale=0.5)
    difference = result[DIFFERENCE][0]
    assert difference.point == 2.0
    assert (difference.lower, difference.upper) == pytest.approx((low, high))
    # delta method: se of a/b with a = 12 ± .3, b = 10 ± .4
    relative = result[RELATIVE_DIFFERENCE][0]
    se = np.hypot(0.3 / 10, 12 * 0.4 / 100)
    assert relative.point == pytest.approx(0.2)
    assert relative.upper == pytest.approx(0.2 + 1.959963984540054 * se)


def test_bootstrap_difference_is_taken_draw_by_draw() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(12, 0.3, 5000), rng.normal(10, 0.4, 5000)
    result = compare(
        from_draws([None], np.array([12.0]), a[None, :], SETTINGS),
        from_draws([None], np.array([10.0]), b[None, :], SETTINGS),
        SETTINGS,
    )
    difference = result[DIFFERENCE][0]
    assert difference.lower == pytest.approx(np.quantile(a - b, 0.025))
    assert difference.upper == pytest.approx(np.quantile(a - b, 0.975))
    relative = result[RELATIVE_DIFFERENCE][0]
    assert relative.lower == pytest.approx(np.quantile((a - b) / b, 0.025))


def test_only_parameters_both_branches_have_are_compared() -> None:
    branch = no_interval(["1", "2", "3"], [5.0, 6.0, 7.0])
    reference = no_interval(["3", "1"], [1.0, 0.0])
    result = compare(branch, reference, SETTINGS)
    assert [(e.parameter, e.point, e.lower) for e in result[DIFFERENCE]] == [
        ("1", 5.0, None),
        ("3", 6.0, None),
    ]
    relative = [e.point for e in result[RELATIVE_DIFFERENCE]]
    assert np.isnan(relative[0]) and relative[1] == 6.0
