"""``binseg``: planted changes are found where and as large as they are; quiet series stay
quiet at the calibrated rate; spikes, gaps and weekly patterns do not fool it."""

from __future__ import annotations

import numpy as np
import pytest

from opwatch.detect import detect
from tests.detect.helpers import daily_mus, histograms, noise, step


@pytest.mark.parametrize(("at", "size"), [(30, 3.0), (45, -2.5), (70, 4.0), (12, 5.0)])
def test_a_step_is_found_at_its_position_with_its_size(at: int, size: float) -> None:
    values = step(seed=at, at=at, size=size)
    [change] = detect(values)
    assert abs(change.index - at) <= 1
    assert change.direction == ("up" if size > 0 else "down")
    before, after = values[: change.index].mean(), values[change.index :].mean()
    assert change.before == pytest.approx(before) and change.after == pytest.approx(after)
    assert change.magnitude == pytest.approx(after - before)
    assert change.p_value is not None and change.p_value <= 0.002
    assert change.kind == "shift" and change.technique == "binseg"


def test_a_step_and_its_revert_are_two_changes_of_opposite_directions() -> None:
    values = step(seed=3, at=30, size=3.0)
    values[55:] -= 3.0
    up, down = detect(values)
    assert (up.direction, down.direction) == ("up", "down")
    assert abs(up.index - 30) <= 1 and abs(down.index - 55) <= 1


def test_a_short_step_that_reverts_is_found_as_a_bump() -> None:
    """2.5 sigma for 16 of 112 points: diluted in any single split, plain as a bump."""

    def both_found(seed: int, max_bump: int) -> bool:
        values = step(seed=seed, at=50, size=2.5, length=112)
        values[66:] -= 2.5
        changes = detect(values, short_term_spikes_ignored=True, max_bump=max_bump)
        found = {(c.direction, c.index) for c in changes}
        return any(("up", i) in found for i in (49, 50, 51)) and any(
            ("down", i) in found for i in (65, 66, 67)
        )

    with_bumps = sum(both_found(seed, 60) for seed in range(40))
    without = sum(both_found(seed, 0) for seed in range(40))
    assert with_bumps >= 30 and without <= 10


def test_quiet_series_alarm_at_about_the_calibrated_rate() -> None:
    """300 quiet series at a 2 % false-alarm rate: 6 expected; 0 to 15 is within binomial
    noise (the rate is checked more tightly in test_calibration)."""
    alarms = sum(
        bool(detect(noise(seed), short_term_spikes_ignored=True, false_alarm_rate=0.02))
        for seed in range(300)
    )
    assert 0 < alarms <= 15


def test_default_rate_keeps_quiet_series_quiet() -> None:
    alarmed = [s for s in range(200) if detect(noise(s + 1000), short_term_spikes_ignored=True)]
    assert len(alarmed) <= 2


def test_a_weekly_pattern_is_removed_not_reported() -> None:
    weekdays = np.array([0.0, 0.5, 0.5, 0.5, 0.5, -2.0, -2.5])
    alarmed = 0
    for seed in range(50):
        values = noise(seed, length=112) + weekdays[np.arange(112) % 7] * 2
        alarmed += bool(detect(values, short_term_spikes_ignored=True))
    assert alarmed <= 1
    planted = noise(7, length=112) + weekdays[np.arange(112) % 7] * 2
    planted[60:] += 3.0
    [change] = detect(planted, short_term_spikes_ignored=True)
    assert abs(change.index - 60) <= 1


def test_a_one_day_spike_is_a_spike_or_nothing() -> None:
    values = noise(5)
    values[40] += 12.0
    [spike] = detect(values)
    assert (spike.index, spike.kind, spike.direction) == (40, "spike", "up")
    assert spike.magnitude == pytest.approx(values[40] - spike.before)
    assert detect(values, short_term_spikes_ignored=True) == []


def test_the_edge_of_a_step_is_not_a_spike() -> None:
    values = step(seed=8, at=50, size=8.0)
    changes = detect(values)
    assert [c.kind for c in changes] == ["shift"]


def test_gaps_are_skipped_and_positions_keep_their_meaning() -> None:
    values = step(seed=9, at=40, size=3.0)
    values[[10, 38, 39, 41, 70]] = np.nan
    [change] = detect(values)
    assert change.index in (40, 42)  # the first point seen after the change, 41 being missing


def test_a_ramp_is_one_change_near_its_middle() -> None:
    values = noise(11)
    values[40:48] += np.linspace(0.5, 4.0, 8)
    values[48:] += 4.0
    [change] = detect(values, short_term_spikes_ignored=True)
    assert 39 <= change.index <= 49 and change.direction == "up"


def test_small_relative_changes_can_be_dropped() -> None:
    values = step(seed=12, at=45, size=3.0)  # +3 % of a level of 100
    assert len(detect(values, min_relative_change=0.01)) == 1
    assert detect(values, min_relative_change=0.05) == []


def test_autocorrelated_noise_is_accounted_for() -> None:
    """AR(1) noise with rho 0.5 looks like level shifts to a test that assumes independence
    (about 40 % of such series alarm); the long-run scale brings that to a few %, not to the
    nominal 0.05 % (rho is estimated from the series itself)."""
    alarmed = {True: 0, False: 0}
    for seed in range(100):
        rng = np.random.default_rng(seed)
        values = np.zeros(90)
        for t in range(1, 90):
            values[t] = 0.5 * values[t - 1] + rng.normal()
        for correct in alarmed:
            found = detect(values, short_term_spikes_ignored=True, autocorrelation=correct)
            alarmed[correct] += bool(found)
    assert alarmed[True] <= 4 and alarmed[False] >= 25


def test_a_histogram_shift_is_found_in_its_summaries() -> None:
    mus = daily_mus(1)
    mus[50:] += 0.1  # every value x1.105
    series = histograms(1, mus)
    [change] = detect(series, short_term_spikes_ignored=True)
    assert abs(change.index - 50) <= 1 and change.direction == "up"
    assert change.feature in ("mean", "p05", "p50", "p95")


def test_a_tail_only_change_is_found_in_the_high_percentile() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for day in range(90):
        slow = 0.05 + (0.04 if day >= 45 else 0.0)
        count = rng.binomial(3000, slow)
        values = np.concatenate(
            [rng.lognormal(3.0, 0.6, 3000 - count), rng.lognormal(5.0, 0.6, count)]
        )
        rows.append(np.histogram(np.clip(values, 1, 9999), bins=np.geomspace(1, 10_000, 31))[0])
    [change] = detect(np.asarray(rows), short_term_spikes_ignored=True)
    assert abs(change.index - 45) <= 1 and change.direction == "up"
    assert change.feature in ("p95", "mean")


def test_quiet_histogram_series_stay_quiet() -> None:
    alarmed = sum(
        bool(detect(histograms(s, daily_mus(s)), short_term_spikes_ignored=True)) for s in range(40)
    )
    assert alarmed <= 1


def test_histogram_summaries_are_in_values_when_buckets_are_given() -> None:
    mus = daily_mus(2)
    mus[50:] += 0.2
    counts = histograms(2, mus)
    [in_values] = detect(counts, buckets=np.geomspace(1, 10_000, 31)[:-1])
    [in_positions] = detect(counts)
    assert in_values.index == in_positions.index
    # the median (and the value at the mean bucket position) of log-normal(mu, 1) is e^mu
    assert in_values.feature in ("mean", "p50")
    assert in_values.before == pytest.approx(np.exp(3.0), rel=0.1)
    assert in_values.after == pytest.approx(np.exp(3.2), rel=0.1)
    assert in_positions.after == pytest.approx(30 * 3.2 / np.log(10_000), rel=0.1)
