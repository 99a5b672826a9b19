"""``window_ttest``: Welch's t of 12 points before and after, as scipy computes it."""

from __future__ import annotations

import pytest
from scipy import stats

from opwatch.detect import detect
from tests.detect.helpers import noise, step


def test_a_step_is_found_with_welchs_t() -> None:
    values = step(seed=2, at=40, size=6.0)
    [change] = detect(values, "window_ttest")
    assert abs(change.index - 40) <= 1 and change.direction == "up"
    i = change.index
    welch = stats.ttest_ind(values[i : i + 12], values[i - 12 : i], equal_var=False)
    assert change.score == pytest.approx(abs(welch.statistic))


def test_changes_below_the_relative_floor_are_not_reported() -> None:
    values = step(seed=2, at=40, size=6.0)  # 6 % of 100
    assert detect(values, "window_ttest", min_relative_change=0.1) == []


def test_quiet_series_rarely_pass_t_above_seven() -> None:
    assert sum(bool(detect(noise(s), "window_ttest")) for s in range(50)) <= 1
