"""``detect``: what it accepts, what it refuses (with the fix), how changes are classified."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.detect import DEFAULT_TECHNIQUE, TECHNIQUES, Change, classify, detect
from opwatch.errors import DetectionError
from tests.detect.helpers import step


def test_the_registry_holds_the_documented_techniques() -> None:
    assert set(TECHNIQUES) == {"binseg", "cdf_squared", "window_ttest"}
    assert DEFAULT_TECHNIQUE == "binseg"


@pytest.mark.parametrize("technique", ["default", *sorted(TECHNIQUES)])
def test_every_technique_takes_lists_and_arrays(technique: str) -> None:
    values = step(seed=1, at=45, size=6.0)
    assert detect(list(values), technique) == detect(values, technique)


def test_regression_or_improvement_follows_lower_is_better() -> None:
    values = step(seed=1, at=45, size=5.0)
    assert [c.classification for c in detect(values, lower_is_better=True)] == ["regression"]
    assert [c.classification for c in detect(values, lower_is_better=False)] == ["improvement"]
    assert [c.classification for c in detect(values)] == ["change"]
    assert classify("down", True) == "improvement"


@pytest.mark.parametrize(
    ("series", "message"),
    [
        (np.zeros((2, 2, 2)), "got 3 dimensions"),
        ([[1, -1], [2, 2]], "no negatives"),
        (["a", "b"], "must be numbers"),
    ],
)
def test_unusable_series_are_refused_with_the_reason(series: object, message: str) -> None:
    with pytest.raises(DetectionError, match=message):
        detect(series)


def test_an_unknown_technique_lists_the_known_ones() -> None:
    with pytest.raises(DetectionError) as raised:
        detect([1.0, 2.0], "cdf_sqared")
    assert 'did you mean "cdf_squared"?' in str(raised.value)
    assert "(valid: binseg, cdf_squared, default, window_ttest)" in str(raised.value)


def test_a_misspelled_argument_lists_the_valid_ones() -> None:
    with pytest.raises(DetectionError, match=r"false_alarm_rat.*its arguments: .*false_alarm_rate"):
        detect([1.0, 2.0], false_alarm_rat=0.01)


def test_histogram_bounds_must_match_the_columns() -> None:
    with pytest.raises(DetectionError, match="one lower bound per column"):
        detect(np.ones((10, 3)), buckets=[1, 2])


def test_short_series_have_no_changes() -> None:
    assert detect([1.0, 5.0, 1.0]) == []


def test_a_change_describes_itself() -> None:
    change = Change(index=3, direction="up", magnitude=10.0, score=7.0, before=100.0, after=110.0)
    assert change.relative_change == pytest.approx(0.1)
    assert "+10.0%" in change.describe()
