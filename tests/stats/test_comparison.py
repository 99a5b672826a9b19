"""Branch comparisons: differences and relative differences with their intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from opwatch.stats.comparison import DIFFERENCE, RELATIVE_DIFFERENCE, compare
from opwatch.stats.intervals import Estimate, IntervalSettings

SETTINGS = IntervalSettings()


def test_analytic_difference_combines_standard_errors() -> None:
    branch, reference = Estimate(None, 12.0, se=0.3), Estimate(None, 10.0, se=0.4)
    result = compare(branch, reference, SETTINGS)
    low, high = scipy_stats.norm.interval(0.95, loc=2.0, scale=0.5)
    assert result[DIFFERENCE].point == 2.0
    assert (result[DIFFERENCE].lower, result[DIFFERENCE].upper) == pytest.approx((low, high))
    assert result[RELATIVE_DIFFERENCE].point == pytest.approx(0.2)


def test_bootstrap_difference_is_taken_draw_by_draw() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(12, 0.3, 5000), rng.normal(10, 0.4, 5000)
    result = compare(Estimate(None, 12.0, draws=a), Estimate(None, 10.0, draws=b), SETTINGS)
    difference = result[DIFFERENCE]
    assert difference.lower == pytest.approx(np.quantile(a - b, 0.025))
    assert difference.upper == pytest.approx(np.quantile(a - b, 0.975))
    relative = result[RELATIVE_DIFFERENCE]
    assert relative.lower == pytest.approx(np.quantile((a - b) / b, 0.025))


def test_a_count_has_a_difference_without_interval() -> None:
    result = compare(Estimate(None, 5.0), Estimate(None, 0.0), SETTINGS)
    assert (result[DIFFERENCE].point, result[DIFFERENCE].lower) == (5.0, None)
    assert np.isnan(result[RELATIVE_DIFFERENCE].point)
