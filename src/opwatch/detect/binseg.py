"""``binseg``: binary segmentation with a calibrated CUSUM test (the default technique).

For a scalar series:

1. a clear weekly pattern is removed (``period``; Kruskal-Wallis over weekdays decides);
2. spikes (at most two points beyond ``spike_threshold`` robust sigmas of the running
   median) are set aside and reported as spikes unless ``short_term_spikes_ignored``;
3. the noise scale of a point is estimated from neighbouring differences (robust to the
   changes themselves); when the noise carries over from day to day, it is widened to the
   long-run scale, with the autocorrelation of the residuals around the segments a first
   search at the point scale found;
4. the split with the largest standardized CUSUM, or the bump (a step that comes back within
   ``max_bump`` points) with the largest standardized difference to the points around it,
   is a change when a quiet series of that length reaches that value with probability at
   most ``false_alarm_rate`` (:mod:`opwatch.detect.calibration`; each p-value doubled when
   both were searched); every part is searched again, with the same test;
5. changes of the same direction within ``merge_within`` points are one change (a ramp
   split twice), reported at the strongest split.

So ``false_alarm_rate`` is what it says under independent noise: the chance that a series
without any change gets an alarm. A histogram series is followed through four summaries
(mean, p05, p50, p95, see :func:`~opwatch.detect.series.histogram_features`), each tested
at a quarter of the rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from pydantic import Field

from opwatch.detect.calibration import bump_lengths, bump_statistics, cusum_statistic, p_value
from opwatch.detect.change import Change
from opwatch.detect.registry import Technique, TechniqueArgs
from opwatch.detect.robust import (
    Spike,
    find_spikes,
    long_run_factor,
    point_scale,
    residual_autocorrelation,
    weekly_pattern,
)
from opwatch.detect.series import HISTOGRAM_FEATURES, Series, histogram_features


class BinsegArgs(TechniqueArgs):
    """Arguments of ``binseg``."""

    false_alarm_rate: float = Field(0.0005, gt=0, lt=0.5)
    """Chance that a series without any change raises an alarm."""
    min_size: int = Field(3, ge=2)
    """Fewest points on either side of a change."""
    period: int | None = Field(7, ge=2)
    """Length of the seasonal cycle to remove (7 for daily series; None for builds)."""
    autocorrelation: bool = True
    """Account for noise that carries over from one point to the next."""
    spike_threshold: float = Field(5.0, gt=0)
    """Robust sigmas beyond the running median that make a one- or two-point spike."""
    merge_within: int = Field(10, ge=0)
    """Changes of the same direction at most this many points apart are reported as one (a
    ramp over several days splits into several steps)."""
    max_bump: int = Field(60, ge=0)
    """Longest step that reverts searched as one change of two cuts (0: single cuts only)."""
    min_relative_change: float = Field(0.0, ge=0)
    """Changes smaller than this share of the level before are dropped."""


@dataclass(frozen=True)
class _Best:
    """The best change of a segment: one cut (a step) or two (a step that reverts)."""

    cuts: tuple[int, ...]
    score: float
    p_value: float

    def doubled(self) -> _Best:
        return replace(self, p_value=min(1.0, 2 * self.p_value))


@dataclass(frozen=True)
class _Split:
    position: int
    """Index into the finite points of the first point after the split."""
    score: float
    p_value: float


class BinarySegmentation(Technique):
    """Calibrated binary segmentation of the level (of each summary, for histograms)."""

    name = "binseg"
    summary = "binary segmentation, CUSUM test calibrated to a false-alarm rate per series"
    Args = BinsegArgs
    args: BinsegArgs

    def find(self, series: Series) -> list[Change]:
        """The changes of a scalar series, or of any summary of a histogram series."""
        if series.kind == "scalar":
            return self._changes(series.values, "value", self.args.false_alarm_rate)
        features = histogram_features(series.values, series.buckets)
        rate = self.args.false_alarm_rate / len(HISTOGRAM_FEATURES)
        found = [
            change
            for name in HISTOGRAM_FEATURES
            for change in self._changes(features[name], name, rate)
        ]
        return _merge_across_features(found, self.args.merge_within, len(HISTOGRAM_FEATURES))

    def _changes(self, values: np.ndarray, feature: str, rate: float) -> list[Change]:
        """The shifts (and spikes) of one scalar series tested at ``rate``."""
        args = self.args
        seasonal = weekly_pattern(values, args.period)
        spikes, cleaned = find_spikes(values - seasonal, args.spike_threshold)
        positions = np.flatnonzero(np.isfinite(cleaned))
        if len(positions) < 2 * args.min_size + 2:
            return []
        levels = cleaned[positions]
        # the point scale from the series before spikes were set aside: setting aside the
        # largest deviations would shrink it below what the calibration assumed
        point = _point_scale((values - seasonal)[positions])
        scale = self._scale(levels, point, rate)
        splits = self._split(levels, scale, rate, args.autocorrelation)
        shifts = _shifts(splits, levels, positions, feature, self.name)
        shifts = _merge_same_direction(shifts, args.merge_within)
        shifts = [s for s in shifts if _large_enough(s, args.min_relative_change)]
        if args.short_term_spikes_ignored:
            return shifts
        return sorted(shifts + [_spike_change(s, feature, self.name) for s in spikes], key=_index)

    def _scale(self, levels: np.ndarray, point: float, rate: float) -> float:
        """The noise scale: the point scale, widened for autocorrelation when asked, as
        measured on the residuals around the segments a first search (at the point scale)
        finds, so that the changes themselves do not read as autocorrelation."""
        if not self.args.autocorrelation:
            return point
        first = self._split(levels, point, rate, autocorrelation=False)
        bounds = [0, *(s.position for s in first), len(levels)]
        residuals = np.concatenate([levels[a:b] - levels[a:b].mean() for a, b in pairwise(bounds)])
        rho = residual_autocorrelation(residuals[None, :], segments=len(bounds) - 1)[0]
        return float(point * long_run_factor(rho))

    def _split(
        self, levels: np.ndarray, scale: float, rate: float, autocorrelation: bool
    ) -> list[_Split]:
        """Binary segmentation: every split (or pair of splits, for a step that reverts)
        whose calibrated p-value is at most ``rate``; each part is searched again."""
        found: list[_Split] = []
        pending = [(0, len(levels))]
        while pending:
            start, stop = pending.pop()
            if stop - start < 2 * self.args.min_size:
                continue
            best = self._best(levels[start:stop], scale, autocorrelation)
            if best.p_value > rate:
                continue
            cuts = [start + cut for cut in best.cuts]
            found += [_Split(cut, best.score, best.p_value) for cut in cuts]
            pending += list(pairwise([start, *cuts, stop]))
        return sorted(found, key=lambda s: s.position)

    def _best(self, segment: np.ndarray, scale: float, autocorrelation: bool) -> _Best:
        """The likelier of the best single split and the best bump (a bump only when the level
        comes back); when both were searched, the p-value counts twice (Bonferroni), so the
        rate still holds."""
        min_size = self.args.min_size
        statistic = np.abs(cusum_statistic(segment, scale, min_size))
        at = int(np.argmax(statistic))
        p = p_value(float(statistic[at]), len(segment), min_size, autocorrelation)
        single = _Best((min_size + at,), float(statistic[at]), p)
        bump = self._best_bump(segment, scale, autocorrelation)
        if bump is None:
            return single
        if bump.p_value < single.p_value and _reverts(segment, bump.cuts):
            return bump.doubled()
        return single.doubled()  # also on ties: both at the simulation's floor

    def _best_bump(self, segment: np.ndarray, scale: float, autocorrelation: bool) -> _Best | None:
        """The strongest step-and-revert of at most ``max_bump`` points, if any fits: tested
        over the calibrated grid of lengths, placed over every length near the best one."""
        min_size, longest = self.args.min_size, self.args.max_bump
        grid = bump_lengths(min_size, longest, len(segment))
        if not grid:
            return None
        score, length, _ = _strongest_bump(segment, scale, min_size, grid)
        p = p_value(score, len(segment), min_size, autocorrelation, bump=longest)
        at = grid.index(length)
        nearby = list(range(grid[max(at - 1, 0)], grid[min(at + 1, len(grid) - 1)] + 1))
        _, length, start = _strongest_bump(segment, scale, min_size, nearby)
        return _Best((start, start + length), score, p)


def _strongest_bump(
    segment: np.ndarray, scale: float, min_size: int, lengths: list[int]
) -> tuple[float, int, int]:
    """The largest |bump statistic| over ``lengths``, with its length and start."""
    best = (0.0, lengths[0], min_size)
    for length, statistic in bump_statistics(segment, scale, min_size, lengths):
        at = int(np.argmax(np.abs(statistic)))
        if abs(statistic[at]) > best[0]:
            best = (float(abs(statistic[at])), length, min_size + at)
    return best


def _reverts(segment: np.ndarray, cuts: tuple[int, ...]) -> bool:
    """Whether the level after a bump is back near the level before it (within half the
    bump's height): otherwise the bump is one step seen from an edge, not a step and back."""
    start, stop = cuts
    before, inside, after = segment[:start], segment[start:stop], segment[stop:]
    height = inside.mean() - np.concatenate([before, after]).mean()
    return bool(abs(after.mean() - before.mean()) < 0.5 * abs(height))


def _point_scale(levels: np.ndarray) -> float:
    """The point scale, with a floor for series that are constant between steps."""
    scale = float(point_scale(levels[None, :])[0])
    if scale > 0:
        return scale
    spread = float(np.std(np.diff(levels))) / np.sqrt(2.0)
    return float(max(spread, 1e-9 * (float(np.abs(levels).max()) + 1.0)))


def _shifts(
    splits: list[_Split], levels: np.ndarray, positions: np.ndarray, feature: str, name: str
) -> list[Change]:
    """Splits → changes, with the means of the segments on either side."""
    bounds = [0, *(s.position for s in splits), len(levels)]
    means = [float(levels[a:b].mean()) for a, b in pairwise(bounds)]
    return [
        Change(
            index=int(positions[split.position]),
            direction="up" if after > before else "down",
            magnitude=after - before,
            score=split.score,
            before=before,
            after=after,
            p_value=split.p_value,
            feature=feature,
            technique=name,
        )
        for split, before, after in zip(splits, means[:-1], means[1:], strict=True)
    ]


def _merge_same_direction(changes: list[Change], within: int) -> list[Change]:
    """Neighbouring changes of one direction → the strongest, spanning both their levels."""
    merged: list[Change] = []
    for change in changes:
        last = merged[-1] if merged else None
        if last and last.direction == change.direction and change.index - last.index <= within:
            strongest = change if change.score > last.score else last
            merged[-1] = Change(
                index=strongest.index,
                direction=change.direction,
                magnitude=change.after - last.before,
                score=strongest.score,
                before=last.before,
                after=change.after,
                p_value=min(p for p in (last.p_value, change.p_value) if p is not None),
                feature=change.feature,
                technique=change.technique,
            )
        else:
            merged.append(change)
    return merged


def _merge_across_features(changes: list[Change], within: int, tests: int) -> list[Change]:
    """Changes of several summaries at about the same point (each within ``within`` points of
    the previous one) → the strongest one, its p-value multiplied by the number of summaries
    tested (Bonferroni)."""
    shifts = sorted((c for c in changes if c.kind == "shift"), key=_index)
    spikes = sorted((c for c in changes if c.kind == "spike"), key=_index)
    kept: list[Change] = []
    for group in (shifts, spikes):
        cluster: list[Change] = []
        for change in [*group, None]:
            if change is not None and (not cluster or change.index - cluster[-1].index <= within):
                cluster.append(change)
                continue
            if cluster:
                best = max(cluster, key=lambda c: c.score)
                p = None if best.p_value is None else min(1.0, best.p_value * tests)
                kept.append(replace(best, p_value=p))
            cluster = [] if change is None else [change]
    return sorted(kept, key=_index)


def _large_enough(change: Change, minimum: float) -> bool:
    relative = change.relative_change
    return minimum <= 0 or relative is None or abs(relative) >= minimum


def _spike_change(spike: Spike, feature: str, name: str) -> Change:
    return Change(
        index=spike.index,
        direction="up" if spike.excursion > 0 else "down",
        magnitude=spike.excursion,
        score=spike.score,
        before=spike.baseline,
        after=spike.baseline + spike.excursion,
        kind="spike",
        feature=feature,
        technique=name,
    )


def _index(change: Change) -> int:
    return change.index
