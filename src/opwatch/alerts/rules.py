"""OpMon's ``[alerts]`` rules evaluated on a project's statistics.

The rules mean what they mean in OpMon (see ``reference/opmon.md``), without its bugs:

- ``threshold``: fires when the whole interval is beyond a limit (``lower > max`` or
  ``upper < min``; the point when there is no interval). With ``parameters``, the i-th limit
  belongs to the i-th parameter (one limit applies to all).
- ``ci_overlap``: fires when a branch's interval does not overlap the reference branch's at the
  same x value, statistic, parameter and dimension values (touching intervals overlap).
- ``avg_diff``: fires when the mean of the last ``window_size`` points differs from the mean
  of the ``window_size`` before by more than ``max_relative_change`` of the last mean.

A rule that keeps firing day after day is one change: a hit is reported at the first x value
of each run of firing values, a run going on across fewer than ``QUIET`` quiet values (the
alert manager turns hits into alerts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opwatch.config.resolved import Alert as Rule
from opwatch.registry import Registry

Row = dict[str, Any]
QUIET = 7
"""Quiet x values (days or builds) after which a rule firing again is a new hit."""


@dataclass(frozen=True)
class RuleHit:
    """The start of a run of x values where ``rule`` fires on one series."""

    rule: Rule
    row: Row
    """The statistic row of the first firing x value (its series key, dimensions, values)."""
    previous_position: str | None
    message: str
    before: float | None
    after: float | None


def evaluate(
    rule: Rule, rows: Sequence[Row], dimensions: Sequence[str], reference: str | None
) -> list[RuleHit]:
    """Every hit of ``rule`` among a project's branch ``rows`` (comparison rows excluded)."""
    wanted = [row for row in rows if row["comparison"] is None and _selected(rule, row)]
    series = _by_series(wanted, dimensions)
    firing = RULES.get(rule.type)(rule, series, reference)
    return list(_streak_starts(rule, firing))


def _selected(rule: Rule, row: Row) -> bool:
    if row["metric"] not in rule.metrics:
        return False
    if rule.statistics and row["statistic"] not in rule.statistics:
        return False
    return not rule.parameters or _parameter_index(rule, row) is not None


def _parameter_index(rule: Rule, row: Row) -> int | None:
    """Which of the rule's parameters ``row`` is (percentiles compared as numbers)."""
    try:
        value = float(row["parameter"])
    except (TypeError, ValueError):
        return None
    return next((i for i, p in enumerate(rule.parameters or ()) if float(p) == value), None)


SeriesRows = dict[tuple[Any, ...], list[Row]]
Mark = tuple[Row, str | None, float | None, float | None]
"""A row with why it fires (None: it does not) and the values before and after."""
Firing = dict[tuple[Any, ...], list[Mark]]
"""Series → its rows in x order, marked."""
RuleCheck = Callable[[Rule, SeriesRows, str | None], Firing]
"""Where one rule type fires on a project's series (given the reference branch)."""
RULES: Registry[RuleCheck] = Registry("alert rule type")
"""Rule checks by ``[alerts.X] type`` (config accepts the same names, as a test pins)."""


def _by_series(rows: Sequence[Row], dimensions: Sequence[str]) -> SeriesRows:
    series: SeriesRows = defaultdict(list)
    for row in rows:
        key = (row["metric"], row["statistic"], row["parameter"], row["branch"])
        series[key + tuple(row[d] for d in dimensions)].append(row)
    for values in series.values():
        values.sort(key=lambda row: str(row["xaxis_value"]))
    return series


@RULES.named("threshold")
def _threshold(rule: Rule, series: SeriesRows, _reference: str | None) -> Firing:
    firing: Firing = {}
    for key, rows in series.items():
        marks: list[Mark] = []
        for row in rows:
            low, high = _limit(rule, row, rule.min), _limit(rule, row, rule.max)
            lower, upper = _bounds(row)
            why = None
            if high is not None and lower is not None and lower > high:
                why = f"Value above threshold ({lower:.4g} > {high:g})"
            elif low is not None and upper is not None and upper < low:
                why = f"Value below threshold ({upper:.4g} < {low:g})"
            marks.append((row, why, None, row["point"]))
        firing[key] = marks
    return firing


def _limit(rule: Rule, row: Row, limits: tuple[float, ...] | None) -> float | None:
    if not limits:
        return None
    if len(limits) == 1 or not rule.parameters:
        return limits[0]
    index = _parameter_index(rule, row)
    return limits[index] if index is not None and index < len(limits) else None


def _bounds(row: Row) -> tuple[float | None, float | None]:
    """The interval of ``row``, or its point at both ends when it has none."""
    point = row["point"]
    lower = row["lower"] if row["lower"] is not None else point
    upper = row["upper"] if row["upper"] is not None else point
    return lower, upper


@RULES.named("ci_overlap")
def _ci_overlap(_rule: Rule, series: SeriesRows, reference: str | None) -> Firing:
    firing: Firing = {}
    references = {_without_branch(key): rows for key, rows in series.items() if key[3] == reference}
    for key, rows in series.items():
        if reference is None or key[3] == reference:
            continue
        theirs = {row["xaxis_value"]: row for row in references.get(_without_branch(key), [])}
        marks: list[Mark] = []
        for row in rows:
            other = theirs.get(row["xaxis_value"])
            why = None
            if other is not None and _disjoint(row, other):
                why = f"Significant difference between branches ({row['branch']} vs {reference})"
            before = None if other is None else other["point"]
            marks.append((row, why, before, row["point"]))
        firing[key] = marks
    return firing


def _without_branch(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return key[:3] + key[4:]


def _disjoint(row: Row, other: Row) -> bool:
    (low, high), (other_low, other_high) = _bounds(row), _bounds(other)
    if low is None or high is None or other_low is None or other_high is None:
        return False
    return high < other_low or low > other_high


@RULES.named("avg_diff")
def _avg_diff(rule: Rule, series: SeriesRows, _reference: str | None) -> Firing:
    window = rule.window_size or 1
    limit = rule.max_relative_change or 0.0
    firing: Firing = {}
    for key, rows in series.items():
        marks: list[Mark] = []
        for index, row in enumerate(rows):
            why, before, after = None, None, None
            if index + 1 >= 2 * window:
                current = _mean(rows[index + 1 - window : index + 1])
                previous = _mean(rows[index + 1 - 2 * window : index + 1 - window])
                before, after = previous, current
                if (
                    current
                    and previous is not None
                    and abs(current - previous) / abs(current) > limit
                ):
                    why = "Significant difference to historical data"
            marks.append((row, why, before, after))
        firing[key] = marks
    return firing


def _mean(rows: Sequence[Row]) -> float | None:
    points = [row["point"] for row in rows if row["point"] is not None]
    return sum(points) / len(points) if points else None


def _streak_starts(rule: Rule, firing: Firing) -> Iterator[RuleHit]:
    """The first firing row of each run of firing rows, per series; a run goes on across
    fewer than ``QUIET`` quiet rows (an interval near its limit flickers)."""
    for marks in firing.values():
        quiet = QUIET
        previous_x = None
        for row, why, before, after in marks:
            if why is not None and quiet >= QUIET:
                yield RuleHit(rule, row, previous_x, why, before, after)
            quiet = 0 if why is not None else quiet + 1
            previous_x = str(row["xaxis_value"])
