"""Bootstrap intervals of a mean and a sum from Poisson replicate totals.

A replicate of one metric in one group is five totals over the group's clients, each client
weighed by its Poisson weight ``w`` (:mod:`opwatch.stats.replicates`): ``Σw`` over the clients,
``Σw·x`` (NULL as 0), ``Σw`` over the clients with a value, and ``Σw·(x - x̄)`` and
``Σw·(x - x̄)²`` over the values (``x̄`` the group's mean). The engine adds them up in SQL
(``statistics_scalar_replicates``); :class:`~opwatch.stats.registry.BootstrapTotals` computes
the same from client rows.

From a group of :data:`~opwatch.stats.intervals.AUTO_ANALYTIC_MIN_CLIENTS` clients up, the
interval is a **bootstrap-t**: each replicate's estimate minus the point, divided by that
replicate's own standard error, and the point's standard error scaled by that distribution's
quantiles. Unlike the percentile interval of the replicates, it follows the skew of a mean of
skewed values (the percentile interval covered 88 % for the mean of 40 log-normal values).
Below, where a replicate's standard error rests on a handful of values and the studentized
replicates go wild, it is the percentile interval. The replicates of the estimate itself are
kept for branch comparisons either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from opwatch.stats.intervals import (
    AUTO_ANALYTIC_MIN_CLIENTS,
    Estimates,
    IntervalSettings,
    from_draws,
    row_quantiles,
)


@dataclass(frozen=True)
class Resampled:
    """One metric's replicate totals in one group (arrays over replicates)."""

    clients: np.ndarray
    """``Σw`` over the group's clients."""
    totals: np.ndarray
    """``Σw·x``, NULLs as 0."""
    counts: np.ndarray
    """``Σw`` over the clients with a value."""
    deviations: np.ndarray
    """``Σw·(x - x̄)`` over the values."""
    squares: np.ndarray
    """``Σw·(x - x̄)²`` over the values."""


def bootstrapped_mean(
    resampled: Resampled,
    point: float,
    se: float,
    n: int,
    settings: IntervalSettings,
    names: Sequence[str | None] = (None,),
) -> Estimates:
    """The mean of ``n`` values, with standard error ``se``: bootstrap-t from ``n`` =
    :data:`AUTO_ANALYTIC_MIN_CLIENTS` values up, else the replicates' percentile interval."""
    counts = resampled.counts
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = resampled.totals / counts
        shifts = resampled.deviations / counts
        variances = (resampled.squares - resampled.deviations**2 / counts) / (counts - 1)
        errors = np.sqrt(np.maximum(variances, 0.0) / counts)  # ≥ 0 but for rounding
    return _interval(names, point, se, n, draws, shifts, errors, settings)


def bootstrapped_sum(
    resampled: Resampled,
    point: float,
    se: float,
    clients: int,
    n: int,
    settings: IntervalSettings,
    names: Sequence[str | None] = (None,),
) -> Estimates:
    """The sum over ``clients`` clients (``n`` with a value, NULLs as 0), with standard error
    ``se``: ``clients`` times the mean over every client, bootstrapped as
    :func:`bootstrapped_mean` is. The deviations from the mean over every client come from
    those from the mean of the values: a value's is ``(x - x̄) + (x̄ - x̄₀)``, a NULL's ``-x̄₀``."""
    weights, counts = resampled.clients, resampled.counts
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = point / n if n else 0.0
        mean_all = point / clients
        gap = mean - mean_all
        deviations = resampled.deviations + counts * mean - weights * mean_all
        squares = (
            resampled.squares
            + 2 * gap * resampled.deviations
            + counts * gap**2
            + (weights - counts) * mean_all**2
        )
        draws = clients * resampled.totals / weights
        shifts = clients * deviations / weights
        variances = (squares - deviations**2 / weights) / (weights - 1)
        errors = clients * np.sqrt(np.maximum(variances, 0.0) / weights)
    return _interval(names, point, se, clients, draws, shifts, errors, settings)


def _interval(
    names: Sequence[str | None],
    point: float,
    se: float,
    size: int,
    draws: np.ndarray,
    shifts: np.ndarray,
    errors: np.ndarray,
    settings: IntervalSettings,
) -> Estimates:
    """Bootstrap-t (``shifts / errors`` studentized, from ``size`` clients up) or percentile
    interval around ``point``; ``draws`` kept for comparisons."""
    points = np.asarray([point])
    if size < AUTO_ANALYTIC_MIN_CLIENTS:
        return from_draws(names, points, draws[None, :], settings)
    with np.errstate(invalid="ignore", divide="ignore"):
        studentized = shifts / errors
    low, high = row_quantiles(studentized[None, :], settings.tails)
    lower, upper = point - high * se, point - low * se
    return Estimates(
        list(names),
        points,
        np.fmin(lower, points),
        np.fmax(upper, points),
        draws=draws[None, :],
        se=np.asarray([se]),
    )
