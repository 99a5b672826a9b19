"""Statistics of scalar metrics: count, sum, mean, total_ratio (percentiles and quantile:
:mod:`opwatch.stats.scalar_percentiles`).

Definitions match Mozilla's OpMon (docs/statistics.md): count is the number of clients with a
value; sum and mean ignore clients without one (NULL), as SQL does; total_ratio is
``SUM(metric) / SUM(denominator_metric)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from opwatch.stats.intervals import (
    NONE,
    Estimates,
    IntervalSettings,
    from_draws,
    from_se,
    from_skewed_se,
    no_interval,
    skewness,
)
from opwatch.stats.registry import (
    ScalarSample,
    Statistic,
    register,
)
from opwatch.stats.scalar_bootstrap import bootstrapped_mean, bootstrapped_sum
from opwatch.stats.scalar_sums import (
    GroupReplicates,
    ScalarSums,
    mean_variances,
    residual_variances,
    sum_skewness,
    sum_variances,
)


@register
class Count(Statistic):
    """Clients with a value (no interval: a count is exact)."""

    name = "count"

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """The number of non-NULL client values."""
        return no_interval([None], [np.count_nonzero(~np.isnan(sample.values))])

    summed = True

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Each group's number of values."""
        return [no_interval([None], [count]) for count in sums.moments.count.tolist()]


@register
class Mean(Statistic):
    """The mean of client values (NULLs ignored)."""

    name = "mean"

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """Mean with a normal interval, or bootstrapped over clients."""
        values = sample.values[~np.isnan(sample.values)]
        if values.size == 0:
            return NONE
        point = np.asarray([values.mean()])
        if values.size < 2:
            return no_interval([None], point)
        se = values.std(ddof=1) / np.sqrt(values.size)
        if settings.bootstraps(values.size):
            resampled = sample.bootstrap(settings).resampled(sample.values)
            return bootstrapped_mean(resampled, float(point[0]), se, values.size, settings)
        return _skewed([None], point, se, values, settings)

    summed = True

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Each group's mean with its normal interval (or bootstrapped, see
        :func:`_from_moments`)."""
        moments = sums.moments
        with np.errstate(invalid="ignore", divide="ignore"):
            points = moments.total / moments.count
            errors = np.sqrt(mean_variances(moments)) / np.sqrt(moments.count)
        skew = skewness(moments.centered, moments.cubed, moments.count)
        return [
            NONE
            if n == 0
            else _from_moments(
                point,
                error,
                int(n),
                settings,
                skew=skew[group],
                bootstrapped=sums.replicated(
                    group,
                    partial(_mean_of, name=sums.name, point=point, se=error, n=int(n)),
                    settings,
                ),
            )
            for group, (n, point, error) in enumerate(
                zip(moments.count, points, errors, strict=True)
            )
        ]


@register
class Sum(Statistic):
    """The sum of client values (NULLs ignored).

    Its interval is the sampling variation of a sum over the same number of clients
    (``n`` times the mean's), NULLs counting as 0.
    """

    name = "sum"

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """Sum with an interval."""
        if np.all(np.isnan(sample.values)):
            return NONE
        values = np.nan_to_num(sample.values, nan=0.0)
        n = values.size
        point = np.asarray([values.sum()])
        if n < 2:
            return no_interval([None], point)
        se = np.sqrt(n) * values.std(ddof=1)
        if settings.bootstraps(n):
            resampled = sample.bootstrap(settings).resampled(sample.values)
            present = int(np.count_nonzero(~np.isnan(sample.values)))
            return bootstrapped_sum(resampled, float(point[0]), se, n, present, settings)
        return _skewed([None], point, se, values, settings)

    summed = True

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Each group's sum with its normal interval (or bootstrapped, see
        :func:`_from_moments`)."""
        moments = sums.moments
        errors = np.sqrt(moments.clients) * np.sqrt(sum_variances(moments))
        skews = sum_skewness(moments)
        return [
            NONE
            if n == 0
            else _from_moments(
                total,
                error,
                int(clients),
                settings,
                skew=skews[group],
                bootstrapped=sums.replicated(
                    group,
                    partial(
                        _sum_of,
                        name=sums.name,
                        point=total,
                        se=error,
                        clients=int(clients),
                        n=int(n),
                    ),
                    settings,
                ),
            )
            for group, (n, total, error, clients) in enumerate(
                zip(moments.count, moments.total, errors, moments.clients, strict=True)
            )
        ]


@register
class TotalRatio(Statistic):
    """``SUM(metric) / SUM(denominator_metric)`` over the group's clients."""

    name = "total_ratio"

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """The ratio, with a delta-method or bootstrap interval (clients resampled as pairs)."""
        denominator_name = str(parameters["denominator_metric"])
        if denominator_name not in sample.metrics:
            return NONE
        numerator = np.nan_to_num(sample.values, nan=0.0)
        denominator = np.nan_to_num(sample.metrics[denominator_name], nan=0.0)
        total = float(denominator.sum())
        if total == 0:
            return NONE
        point = float(numerator.sum()) / total
        n = numerator.size
        names = [denominator_name]
        if n < 2:
            return no_interval(names, [point])
        if settings.bootstraps(n):
            resamples = sample.bootstrap(settings)
            numerator_totals = resamples.resampled(sample.values).totals
            denominator_totals = resamples.resampled(sample.metrics[denominator_name]).totals
            draws = _ratio(numerator_totals, denominator_totals)
            return from_draws(names, np.asarray([point]), draws[None, :], settings)
        # Delta method: Var(ΣX/ΣY) ≈ Var(X - R·Y) · n / (ΣY)².
        residual = numerator - point * denominator
        se = np.sqrt(n * residual.var(ddof=1)) / abs(total)
        return from_se(names, np.asarray([point]), np.asarray([se]), settings)

    summed = True

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Each group's ratio with its delta-method interval (or bootstrapped, see
        :func:`_from_moments`)."""
        denominator_name = str(parameters["denominator_metric"])
        pair = sums.ratios.get(denominator_name)
        if pair is None:
            return [NONE] * sums.moments.clients.size
        with np.errstate(invalid="ignore", divide="ignore"):
            points = pair.numerator / pair.denominator
            errors = np.sqrt(pair.clients * residual_variances(pair)) / np.abs(pair.denominator)
        names = [denominator_name]

        def resampled(
            found: GroupReplicates, settings: IntervalSettings, point: float
        ) -> Estimates:
            draws = _ratio(found.totals[sums.name], found.totals[denominator_name])
            return from_draws(names, np.asarray([point]), draws[None, :], settings)

        return [
            NONE
            if total == 0
            else _from_moments(
                point,
                error,
                int(clients),
                settings,
                names,
                sums.replicated(group, partial(resampled, point=point), settings),
            )
            for group, (clients, total, point, error) in enumerate(
                zip(pair.clients, pair.denominator, points, errors, strict=True)
            )
        ]


def _from_moments(
    point: float,
    error: float,
    clients: int,
    settings: IntervalSettings,
    names: Sequence[str | None] = (None,),
    bootstrapped: Callable[[], Estimates] | None = None,
    skew: float | None = None,
) -> Estimates | None:
    """One group's estimate from its sums: no interval below two ``clients``; where the
    interval is bootstrapped over ``clients``, what ``bootstrapped`` computes from the
    group's replicates, None without them; else the normal interval, or with the values'
    ``skew``, Hall's."""
    if clients < 2:
        return no_interval(names, [point])
    if settings.bootstraps(clients):
        return None if bootstrapped is None else bootstrapped()
    if skew is None:
        return from_se(names, np.asarray([point]), np.asarray([error]), settings)
    return from_skewed_se(
        names,
        np.asarray([point]),
        np.asarray([error]),
        np.asarray([skew]),
        np.asarray([clients]),
        settings,
    )


def _skewed(
    names: Sequence[str | None],
    point: np.ndarray,
    se: float,
    values: np.ndarray,
    settings: IntervalSettings,
) -> Estimates:
    """Hall's skewness-corrected interval around ``point``, from the ``values`` themselves."""
    centered = values - values.mean()
    skew = skewness(np.sum(centered**2), np.sum(centered**3), np.asarray(values.size))
    clients = np.asarray([values.size])
    return from_skewed_se(names, point, np.asarray([se]), np.atleast_1d(skew), clients, settings)


def _mean_of(
    found: GroupReplicates,
    settings: IntervalSettings,
    name: str,
    point: float,
    se: float,
    n: int,
) -> Estimates:
    """A mean's bootstrapped estimate from its group's replicates."""
    return bootstrapped_mean(found.resampled(name), point, se, n, settings)


def _sum_of(
    found: GroupReplicates,
    settings: IntervalSettings,
    name: str,
    point: float,
    se: float,
    clients: int,
    n: int,
) -> Estimates:
    """A sum's bootstrapped estimate from its group's replicates."""
    return bootstrapped_sum(found.resampled(name), point, se, clients, n, settings)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where a resample has nothing to divide by."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(numerator / denominator)
