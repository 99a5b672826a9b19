"""OpMon's ``[alerts]`` rules on hand-made statistic rows: what fires, where, and what does not
(OpMon's bugs included: per-parameter limits, ci_overlap across percentiles and dimensions)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from opwatch.alerts.rules import QUIET, RuleHit, evaluate
from opwatch.config.resolved import Alert as Rule

DAYS = [(date(2026, 10, 1) + timedelta(days=n)).isoformat() for n in range(30)]
DIMENSIONS = ("os",)


def row(
    x: int,
    point: float | None,
    lower: float | None = None,
    upper: float | None = None,
    **key: Any,
) -> dict[str, Any]:
    """A statistic row at ``DAYS[x]``: gc_ms percentile 95, control, Windows unless told."""
    values = {"metric": "gc_ms", "statistic": "percentile", "parameter": "95"}
    values |= {"branch": "control", "os": "Windows", "comparison": None}
    values |= {"xaxis_value": DAYS[x], "point": point, "lower": lower, "upper": upper}
    return values | key


def threshold(**limits: Any) -> Rule:
    return Rule(name="limits", type="threshold", metrics=("gc_ms",), **limits)


def hits_at(hits: list[RuleHit]) -> list[tuple[str, str | None]]:
    """Each hit's series and x value."""
    return [
        (f"{h.row['parameter']} {h.row['branch']} {h.row['os']}", h.row["xaxis_value"])
        for h in hits
    ]


# --- threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "point", "lower", "upper", "message"),
    [
        ({"max": (10.0,)}, 11.5, 11.0, 12.0, "Value above threshold"),
        ({"max": (10.0,)}, 11.0, 9.0, 12.0, None),  # the interval reaches below the limit
        ({"max": (10.0,)}, 11.0, 10.0, 12.0, None),  # touching the limit
        ({"max": (10.0,)}, 10.5, None, None, "Value above threshold"),  # no interval: the point
        ({"max": (10.0,)}, 10.0, None, None, None),
        ({"min": (5.0,)}, 3.0, 1.0, 4.0, "Value below threshold"),
        ({"min": (5.0,)}, 3.0, 1.0, 5.0, None),  # touching the limit
        ({"min": (5.0,)}, 4.0, None, None, "Value below threshold"),
        ({"min": (5.0,)}, 5.0, None, None, None),
        ({"min": (5.0,), "max": (10.0,)}, 7.0, 4.0, 11.0, None),  # beyond both, wholly neither
        ({"min": (5.0,), "max": (10.0,)}, 12.0, 11.0, 13.0, "Value above threshold"),
    ],
)
def test_threshold_fires_when_the_whole_interval_is_beyond_the_limit(
    limits: dict[str, Any],
    point: float,
    lower: float | None,
    upper: float | None,
    message: str | None,
) -> None:
    measured = row(0, point, lower, upper)
    hits = evaluate(threshold(**limits), [measured], DIMENSIONS, "control")
    if message is None:
        assert hits == []
        return
    [hit] = hits
    assert hit.message.startswith(message)
    assert (hit.row, hit.previous_position, hit.after) == (measured, None, point)


@pytest.mark.parametrize(
    ("parameter", "point", "fires"),
    [
        ("50", 20.0, True),  # 20 > 10, the limit of 50
        ("95", 20.0, False),  # 20 < 100, the limit of 95 (OpMon would use 10 here)
        ("95", 150.0, True),
        ("95.0", 150.0, True),  # percentiles are compared as numbers
        ("50.0", 5.0, False),
        ("99", 1000.0, False),  # not one of the rule's parameters
    ],
)
def test_each_parameter_has_its_own_limit(parameter: str, point: float, fires: bool) -> None:
    rule = threshold(parameters=(50.0, 95.0), max=(10.0, 100.0))
    hits = evaluate(rule, [row(0, point, parameter=parameter)], DIMENSIONS, None)
    assert len(hits) == (1 if fires else 0)


def test_one_limit_applies_to_every_parameter() -> None:
    rule = threshold(parameters=(50.0, 95.0), max=(10.0,))
    rows = [
        row(0, 20.0, parameter="50"),
        row(0, 20.0, parameter="95"),
        row(0, 5.0, parameter="95", os="Linux"),
    ]
    assert hits_at(evaluate(rule, rows, DIMENSIONS, None)) == [
        ("50 control Windows", DAYS[0]),
        ("95 control Windows", DAYS[0]),
    ]


@pytest.mark.parametrize(
    ("statistics", "metrics", "fires"),
    [
        (None, ("gc_ms",), True),
        (("percentile",), ("gc_ms",), True),
        (("mean",), ("gc_ms",), False),
        (None, ("uri_count",), False),
    ],
)
def test_threshold_reads_only_its_metrics_and_statistics(
    statistics: tuple[str, ...] | None, metrics: tuple[str, ...], fires: bool
) -> None:
    rule = Rule(name="r", type="threshold", metrics=metrics, statistics=statistics, max=(1.0,))
    assert len(evaluate(rule, [row(0, 50.0)], DIMENSIONS, None)) == (1 if fires else 0)


# --- ci_overlap -----------------------------------------------------------------------------

OVERLAP = Rule(name="branches", type="ci_overlap", metrics=("gc_ms",))


@pytest.mark.parametrize(
    ("treatment", "fires"),
    [
        ((5.5, 5.0, 6.0), True),  # above the control's (1, 4)
        ((0.5, 0.2, 0.8), True),  # below it
        ((5.0, 4.0, 6.0), False),  # touching
        ((1.0, 0.0, 1.0), False),  # touching from below
        ((3.5, 3.0, 6.0), False),  # overlapping
        ((5.0, None, None), True),  # the point, when there is no interval
        ((4.0, None, None), False),  # the point touches
    ],
)
def test_ci_overlap_fires_on_disjoint_intervals(
    treatment: tuple[float, float | None, float | None], fires: bool
) -> None:
    rows = [row(0, 2.5, 1.0, 4.0), row(0, *treatment, branch="treatment")]
    hits = evaluate(OVERLAP, rows, DIMENSIONS, "control")
    assert len(hits) == (1 if fires else 0)
    for hit in hits:
        assert hit.message == "Significant difference between branches (treatment vs control)"
        assert (hit.before, hit.after) == (2.5, treatment[0])


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"parameter": "50"},  # another percentile (OpMon compared these)
        {"os": "Linux"},  # another dimension value (OpMon compared these too)
        {"statistic": "mean"},
    ],
)
def test_ci_overlap_compares_the_same_series_only(elsewhere: dict[str, Any]) -> None:
    """The treatment's 95th percentile overlaps the control's 95th; a far away control row of
    another percentile, dimension value or statistic at the same x is not its reference."""
    rows = [
        row(0, 10.5, 10.0, 11.0, branch="treatment"),
        row(0, 10.2, 9.0, 11.5),
        row(0, 1.5, 1.0, 2.0, **elsewhere),
    ]
    assert evaluate(OVERLAP, rows, DIMENSIONS, "control") == []


def test_ci_overlap_compares_at_the_same_x_only() -> None:
    rows = [row(0, 1.5, 1.0, 2.0), row(1, 10.5, 10.0, 11.0, branch="treatment")]
    assert evaluate(OVERLAP, rows, DIMENSIONS, "control") == []


def test_the_reference_branch_itself_never_fires() -> None:
    rows = [
        row(0, 1.5, 1.0, 2.0),
        row(0, 10.5, 10.0, 11.0, branch="treatment"),
        row(0, 1.6, 1.1, 2.1, branch="other"),
    ]
    assert hits_at(evaluate(OVERLAP, rows, DIMENSIONS, "control")) == [
        ("95 treatment Windows", DAYS[0])
    ]
    assert evaluate(OVERLAP, rows, DIMENSIONS, None) == []


def test_comparison_rows_are_not_branches() -> None:
    rows = [
        row(0, 1.5, 1.0, 2.0),
        row(0, 9.0, 8.0, 10.0, branch="treatment", comparison="difference"),
    ]
    assert evaluate(OVERLAP, rows, DIMENSIONS, "control") == []


# --- avg_diff -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "limit", "points", "first_hit", "before", "after"),
    [
        (2, 0.1, [1.0, 100.0, 1.0], None, None, None),  # fewer than 2 * 2 points: never
        (2, 0.1, [10.0, 10.0, 10.0, 10.0], None, None, None),
        # x3: last two (10, 13) mean 11.5, two before 10: 1.5 / 11.5 = 0.13 > 0.1
        (2, 0.1, [10.0, 10.0, 10.0, 13.0], 3, 10.0, 11.5),
        # x3: (10, 11) mean 10.5 vs 10: 0.5 / 10.5 = 0.048; x4: (11, 11) vs (10, 10): 1 / 11 = 0.09
        (2, 0.1, [10.0, 10.0, 10.0, 11.0, 11.0], None, None, None),
        (1, 0.5, [10.0, 16.0], None, None, None),  # 6 / 16 = 0.375
        (1, 0.5, [10.0, 25.0], 1, 10.0, 25.0),  # 15 / 25 = 0.6
        (1, 0.5, [10.0, 20.0], None, None, None),  # 10 / 20 = 0.5 is not above 0.5
        (1, 0.5, [10.0, 5.0], 1, 10.0, 5.0),  # 5 / 5 = 1: relative to the current mean
        (1, 0.5, [10.0, 7.0], None, None, None),  # 3 / 7 = 0.43
        (3, 0.2, [6.0, 6.0, 6.0, 6.0, 6.0, 9.0], None, None, None),  # (6, 6, 9): 1 / 7 = 0.14
        (3, 0.2, [6.0, 6.0, 6.0, 6.0, 9.0, 9.0], 5, 6.0, 8.0),  # (6, 9, 9): 2 / 8 = 0.25
    ],
)
def test_avg_diff_compares_the_last_window_to_the_one_before(
    window: int,
    limit: float,
    points: list[float],
    first_hit: int | None,
    before: float | None,
    after: float | None,
) -> None:
    rule = Rule(
        name="history",
        type="avg_diff",
        metrics=("gc_ms",),
        window_size=window,
        max_relative_change=limit,
    )
    hits = evaluate(rule, [row(x, p) for x, p in enumerate(points)], DIMENSIONS, None)
    if first_hit is None:
        assert hits == []
        return
    [hit] = hits
    assert hit.row["xaxis_value"] == DAYS[first_hit]
    assert hit.previous_position == DAYS[first_hit - 1]
    assert (hit.before, hit.after) == pytest.approx((before, after))
    assert hit.message == "Significant difference to historical data"


# --- streaks --------------------------------------------------------------------------------


def test_a_streak_is_one_hit_at_its_first_x_and_a_long_gap_starts_another() -> None:
    # fires on 1-3, quiet on 4 (a flicker: the run goes on), fires on 5, quiet for QUIET
    # values, fires again: a second hit
    points = [5.0, 11.0, 12.0, 13.0, 5.0, 14.0] + [5.0] * QUIET + [15.0]
    days = DAYS[: len(points)]
    rows = [row(x, p) for x, p in enumerate(points)]
    rows += [row(x, 20.0, os="Linux") for x in range(3)]  # another series, firing from the start
    rows += [row(x, 99.0, comparison="difference") for x in range(7)]  # not a branch's row
    hits = evaluate(threshold(max=(10.0,)), list(reversed(rows)), DIMENSIONS, None)
    assert sorted((h.row["os"], h.row["xaxis_value"], h.previous_position) for h in hits) == [
        ("Linux", DAYS[0], None),
        ("Windows", days[1], days[0]),
        ("Windows", days[-1], days[-2]),
    ]
