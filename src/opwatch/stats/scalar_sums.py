"""Scalar statistics from per-group sums and a few order statistics, without the clients.

The analytic intervals of scalar statistics need little of a group's clients (``N`` clients,
``n`` of them with a value ``x``; NULLs count as 0 where the statistic says so):

- count, mean and sum: ``n``, ``Σx`` and the squared and cubed deviations ``Σ(x - Σx/n)^k``
  (a mean's variance and skewness) and ``Σ(x - Σx/N)^k`` (a sum's, the ``N - n`` zeros adding
  ``(N - n)(-Σx/N)^k``), summed in two passes as numpy does;
- total_ratio: ``Σx``, ``Σy`` and the residuals ``r = x - R·y`` (``R = Σx/Σy``): ``Σr`` and
  ``Σr²`` give the delta method's variance;
- percentiles: the values at a few ranks of the group's sorted values — the two around each
  percentile's position (numpy's linear interpolation) and the order-statistic interval's
  ends (binomial ranks). Which ranks depends only on the group's size, so they are chosen per
  size; a group with clients but no value has its zeros' ranks known without a read.

An engine aggregates the sums in SQL (``statistics_scalar_moments``,
``statistics_scalar_ratios``) and picks the values at the ranks (``statistics_scalar_ranks``):
only groups x metrics numbers, and a few hundred values per group and percentile metric,
reach Python. The results equal the client-by-client definitions in
:mod:`opwatch.stats.scalar` (tests check it), but for the rounding of sums. A bootstrapped
interval needs replicates: Poisson-bootstrap totals per group and replicate, which the engine
adds up with weights from a hash of the client (``statistics_scalar_replicates``,
:mod:`opwatch.stats.replicates`), and for percentiles the values at ranks drawn here
(OpMon's efficient bootstrap): given them (``replicates``, ``rank_generator``), those groups'
intervals come from them too; without them, those groups are None here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from opwatch.stats.intervals import (
    NONE,
    Estimates,
    IntervalSettings,
    binomial_ranks,
    from_draws,
    order_statistic_ranks_of_sizes,
    skewness,
)
from opwatch.stats.registry import parameter_names
from opwatch.stats.scalar_bootstrap import Resampled


@dataclass(frozen=True)
class ScalarMoments:
    """Sums over each group's clients of one scalar metric (one entry per group)."""

    clients: np.ndarray
    """``N``: the group's clients, with a value or not."""
    count: np.ndarray
    """``n``: the clients with a value."""
    total: np.ndarray
    """``Σx`` over the values."""
    negatives: np.ndarray
    """Values below zero (where a client without a value ranks, counted as 0)."""
    centered: np.ndarray
    """``Σ(x - Σx/n)²`` over the values."""
    centered_all: np.ndarray
    """``Σ(x - Σx/N)²`` over the values (the zeros' share is added in Python)."""
    cubed: np.ndarray
    """``Σ(x - Σx/n)³`` over the values (the skewness of a mean's interval)."""
    cubed_all: np.ndarray
    """``Σ(x - Σx/N)³`` over the values (a sum's; the zeros' share is added in Python)."""


@dataclass(frozen=True)
class RatioSums:
    """Sums over each group's clients of a (numerator, denominator) pair, NULLs as 0."""

    clients: np.ndarray
    numerator: np.ndarray
    """``Σx``."""
    denominator: np.ndarray
    """``Σy``."""
    residuals: np.ndarray
    """``Σr``, ``r = x - R·y``, ``R = Σx/Σy`` (0 but for rounding)."""
    residual_squares: np.ndarray
    """``Σr²``."""


@dataclass(frozen=True)
class OrderStatistics:
    """Values at some ranks of each group's sorted values.

    A rank without a value read is held by a client without a value, counted as 0 (its
    rank falls among the zeros, between the negative values and the others).
    """

    sizes: np.ndarray
    """Values each group ranks (0: none)."""
    keys: np.ndarray
    """``group · stride + rank`` of each value read, sorted."""
    values: np.ndarray
    stride: int

    @classmethod
    def read(
        cls, sizes: np.ndarray, groups: np.ndarray, ranks: np.ndarray, values: np.ndarray
    ) -> OrderStatistics:
        """From aligned (group, rank, value) columns, in any order."""
        stride = int(max(int(sizes.max(initial=0)), 1))
        keys = np.asarray(groups, dtype=np.int64) * stride + np.asarray(ranks, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        ordered = np.asarray(values, dtype=np.float64)[order]
        return cls(np.asarray(sizes), keys[order], ordered, stride)

    def at(self, groups: np.ndarray, ranks: np.ndarray) -> np.ndarray:
        """The values at ``ranks`` (a row per group, or one row for all) of ``groups``:
        len(groups) x ranks."""
        wanted = groups[:, None].astype(np.int64) * self.stride + np.atleast_2d(ranks)
        if self.keys.size == 0:
            return np.zeros(wanted.shape)
        position = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
        return np.where(self.keys[position] == wanted, self.values[position], 0.0)


@dataclass(frozen=True)
class GroupReplicates:
    """One group's Poisson-bootstrap replicate totals, shared by its metrics: per replicate,
    the clients' total weight ``Σw`` and, per metric, the totals of :class:`Resampled`."""

    clients: np.ndarray
    totals: Mapping[str, np.ndarray]
    counts: Mapping[str, np.ndarray]
    deviations: Mapping[str, np.ndarray]
    squares: Mapping[str, np.ndarray]

    def resampled(self, name: str) -> Resampled:
        """Metric ``name``'s replicate totals."""
        return Resampled(
            self.clients,
            self.totals[name],
            self.counts[name],
            self.deviations[name],
            self.squares[name],
        )


RankGenerator = Callable[[int, str], np.random.Generator]
"""(group, statistic) → the generator of that group's bootstrap ranks of that statistic."""


@dataclass(frozen=True)
class ScalarSums:
    """What one scalar metric's statistics read instead of its clients, group by group."""

    moments: ScalarMoments
    ratios: Mapping[str, RatioSums] = field(default_factory=dict)
    """By denominator metric: the sums of this metric over it (total_ratio)."""
    order: Mapping[bool, OrderStatistics] = field(default_factory=dict)
    """By ``remove_nulls``: the values at the ranks the percentiles need."""
    name: str = ""
    """The metric's name among ``replicates``' totals."""
    replicates: Mapping[int, GroupReplicates] = field(default_factory=dict)
    """By group: replicate totals of the groups whose intervals are bootstrapped."""
    rank_generator: RankGenerator | None = None
    """Where bootstrapped percentiles draw their ranks (the values there are in ``order``)."""

    def replicated(
        self,
        group: int,
        estimate: Callable[[GroupReplicates, IntervalSettings], Estimates],
        settings: IntervalSettings,
    ) -> Callable[[], Estimates] | None:
        """``estimate`` of the group's replicates, if it has them."""
        found = self.replicates.get(group)
        return None if found is None else lambda: estimate(found, settings)


@dataclass(frozen=True)
class PercentileRanks:
    """The ranks a group of ``size`` values needs for percentiles ``q``: type-7 interpolation
    between ``below`` and ``above`` by ``fraction``; the interval's ends ``low``/``high``."""

    below: np.ndarray
    above: np.ndarray
    fraction: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def all(self) -> np.ndarray:
        """Every rank, sorted and distinct."""
        return np.unique(np.concatenate([self.below, self.above, self.low, self.high]))


def percentile_ranks(
    sizes: np.ndarray, q: np.ndarray, settings: IntervalSettings
) -> dict[int, PercentileRanks]:
    """Each distinct positive size's :class:`PercentileRanks` for quantiles ``q``."""
    distinct = np.unique(sizes[sizes > 0]).astype(np.int64)
    if distinct.size == 0:
        return {}
    low, high = order_statistic_ranks_of_sizes(distinct, q, settings)
    plans = {}
    for index, size in enumerate(distinct.tolist()):
        position = (size - 1) * q
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, size - 1)
        plans[size] = PercentileRanks(below, above, position - below, low[index], high[index])
    return plans


def wanted_ranks(plans: Mapping[int, PercentileRanks]) -> tuple[np.ndarray, np.ndarray]:
    """(size, rank) of every rank :func:`percentile_ranks`' plans read."""
    sizes, ranks = [], []
    for size, plan in plans.items():
        needed = plan.all()
        sizes.append(np.full(needed.size, size, dtype=np.int64))
        ranks.append(needed)
    if not sizes:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(sizes), np.concatenate(ranks)


def interpolated(a: np.ndarray, b: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """numpy's linear percentile between neighbours ``a`` and ``b``, computed as numpy does,
    so the values are the same to the last bit."""
    difference = b - a
    result = a + difference * fraction
    high = np.broadcast_to(fraction >= 0.5, result.shape)
    result[high] = (b - difference * (1 - fraction))[high]
    return np.asarray(result)


def percentiles_from_order(
    order: OrderStatistics,
    has_values: np.ndarray,
    percentiles: np.ndarray,
    settings: IntervalSettings,
) -> list[Estimates]:
    """``percentiles`` of every group with order-statistic intervals (the analytic path of
    :func:`opwatch.stats.scalar_percentiles.percentile_estimates`); no values for a group
    without a value (``has_values`` False) or nothing to rank, no interval for a single
    value."""
    q = percentiles / 100.0
    names = parameter_names(percentiles)
    results: list[Estimates] = [NONE] * order.sizes.size
    for size, plan in percentile_ranks(order.sizes, q, settings).items():
        groups = np.flatnonzero((order.sizes == size) & has_values)
        if groups.size == 0:
            continue
        below, above = order.at(groups, plan.below), order.at(groups, plan.above)
        points = interpolated(below, above, plan.fraction)
        if size == 1:
            for row, group in enumerate(groups.tolist()):
                nothing = np.full(q.size, np.nan)
                results[group] = Estimates(names, points[row], nothing, nothing.copy())
            continue
        # with few values both ends can be one order statistic, beside an interpolated point
        lower = np.fmin(order.at(groups, plan.low), points)
        upper = np.fmax(order.at(groups, plan.high), points)
        se = (upper - lower) / (2 * settings.z)
        for row, group in enumerate(groups.tolist()):
            results[group] = Estimates(names, points[row], lower[row], upper[row], se=se[row])
    return results


def bootstrapped_percentiles(
    found: list[Estimates],
    order: OrderStatistics,
    percentiles: np.ndarray,
    settings: IntervalSettings,
    generator: Callable[[int], np.random.Generator],
) -> list[Estimates]:
    """``found`` (:func:`percentiles_from_order`) with bootstrap intervals: each group's
    replicates are the values at ranks ``Binomial(n, q)`` (:func:`bootstrap_ranks`), which
    ``order`` must hold."""
    q = percentiles / 100.0
    results = list(found)
    for group, estimates in enumerate(found):
        ranks = bootstrap_ranks(int(order.sizes[group]), q, settings, generator(group))
        if ranks is None or len(estimates) == 0:
            continue
        draws = order.at(np.asarray([group]), ranks.ravel())[0].reshape(ranks.shape)
        results[group] = from_draws(estimates.parameters, estimates.points, draws, settings)
    return results


def bootstrap_ranks(
    size: int, q: np.ndarray, settings: IntervalSettings, generator: np.random.Generator
) -> np.ndarray | None:
    """The ranks a group of ``size`` values reads for bootstrapped percentiles ``q`` (None
    where they are not bootstrapped: analytic, or fewer than two values)."""
    if size < 2 or not settings.bootstraps(size, analytic_always_valid=True):
        return None
    return binomial_ranks(size, q, settings.samples, generator)


def sum_variances(moments: ScalarMoments) -> np.ndarray:
    """The variance (ddof 1) of each group's values with NULLs as 0; NaN below two clients."""
    n, clients = moments.count, moments.clients
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = moments.total / clients
        squares = moments.centered_all + (clients - n) * mean * mean
        return np.asarray(np.where(clients > 1, squares / (clients - 1), np.nan))


def sum_skewness(moments: ScalarMoments) -> np.ndarray:
    """The skewness of each group's values with NULLs as 0 (a sum's interval)."""
    n, clients = moments.count, moments.clients
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = moments.total / clients
        squares = moments.centered_all + (clients - n) * mean * mean
        cubes = moments.cubed_all - (clients - n) * mean * mean * mean
    return skewness(squares, cubes, clients)


def mean_variances(moments: ScalarMoments) -> np.ndarray:
    """The variance (ddof 1) of each group's values; NaN below two values."""
    n = moments.count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(n > 1, moments.centered / (n - 1), np.nan))


def residual_variances(sums: RatioSums) -> np.ndarray:
    """The variance (ddof 1) of each group's residuals ``x - R·y``; NaN below two clients."""
    n = sums.clients
    with np.errstate(invalid="ignore", divide="ignore"):
        squares = sums.residual_squares - sums.residuals * sums.residuals / n
        return np.asarray(np.where(n > 1, np.maximum(squares, 0.0) / (n - 1), np.nan))
