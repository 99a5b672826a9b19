"""Statistics of scalar metrics: count, sum, mean, quantile, percentile, total_ratio.

Definitions match Mozilla's OpMon (docs/statistics.md): count is the number of clients with a
value; sum and mean ignore clients without one (NULL), as SQL does; percentiles are of client
values, where a client without a value counts as 0 unless ``remove_nulls = true`` (OpMon put
NULLs in its lowest bucket); total_ratio is ``SUM(metric) / SUM(denominator_metric)``.
Percentile points use linear interpolation between order statistics (numpy's default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from opwatch.stats.grouped import grouped_percentile_estimates
from opwatch.stats.intervals import (
    NONE,
    Estimates,
    IntervalSettings,
    binomial_rank_draws,
    from_draws,
    from_se,
    from_skewed_se,
    no_interval,
    order_statistic_bounds,
    skewness,
)
from opwatch.stats.registry import (
    ScalarSample,
    Statistic,
    configured_percentile_names,
    only_configured_percentiles,
    parameter_names,
    register,
    requested_percentiles,
)
from opwatch.stats.scalar_sums import (
    GroupReplicates,
    ScalarSums,
    bootstrapped_percentiles,
    mean_variances,
    percentiles_from_order,
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
        if settings.bootstraps(values.size):
            total, count = sample.bootstrap(settings).sums(sample.values)
            with np.errstate(invalid="ignore", divide="ignore"):
                return from_draws([None], point, (total / count)[None, :], settings)
        se = values.std(ddof=1) / np.sqrt(values.size)
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
                draws=sums.replicate_draws(
                    group, lambda found: _ratio(found.totals[sums.name], found.counts[sums.name])
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
        if settings.bootstraps(n):
            resamples = sample.bootstrap(settings)
            total, _ = resamples.sums(sample.values)
            with np.errstate(invalid="ignore", divide="ignore"):
                draws = n * total / resamples.clients()  # a sum over n clients
            return from_draws([None], point, draws[None, :], settings)
        se = np.sqrt(n) * values.std(ddof=1)
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

        def resampled(found: GroupReplicates, clients: float) -> np.ndarray:
            return clients * _ratio(found.totals[sums.name], found.clients)  # over N clients

        return [
            NONE
            if n == 0
            else _from_moments(
                total,
                error,
                int(clients),
                settings,
                skew=skews[group],
                draws=sums.replicate_draws(group, partial(resampled, clients=clients)),
            )
            for group, (n, total, error, clients) in enumerate(
                zip(moments.count, moments.total, errors, moments.clients, strict=True)
            )
        ]


@register
class Percentile(Statistic):
    """Percentiles of client values: the configured ones and every integer one, 1 … 99."""

    name = "percentile"
    vectorized = True

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """Each percentile with its interval."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return percentile_estimates(sample, parameters, percentiles, settings, rng)

    def estimate_groups(
        self,
        column: np.ndarray,
        bounds: list[tuple[int, int]],
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
    ) -> list[Estimates]:
        """Every group's percentiles at once, on the analytic path."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return grouped_percentile_estimates(column, bounds, parameters, percentiles, settings)

    summed = True

    def ranked(self, parameters: Mapping[str, Any]) -> tuple[bool, np.ndarray]:
        """The percentiles, of values without NULLs or with them as 0."""
        percentiles = np.asarray(requested_percentiles(parameters))
        return bool(parameters.get("remove_nulls", False)), percentiles

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Every group's percentiles from the values at their ranks."""
        return _percentiles_from_sums(sums, *self.ranked(parameters), settings, self.name)

    def compared(self, values: Estimates, parameters: Mapping[str, Any]) -> Estimates:
        """Comparisons of the configured percentiles only."""
        return only_configured_percentiles(values, parameters)

    def row_parameters(self, parameters: Mapping[str, Any]) -> frozenset[str]:
        """The configured percentiles: the rest of 1 … 99 are there for the dashboard's
        percentile control."""
        return configured_percentile_names(parameters)


@register
class Quantile(Statistic):
    """The median, as OpMon's ``quantile`` (parameter 50)."""

    name = "quantile"
    vectorized = True

    def estimate(
        self,
        sample: ScalarSample,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """The 50th percentile with its interval."""
        return percentile_estimates(sample, parameters, np.asarray([50.0]), settings, rng)

    def estimate_groups(
        self,
        column: np.ndarray,
        bounds: list[tuple[int, int]],
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
    ) -> list[Estimates]:
        """Every group's median at once, on the analytic path."""
        return grouped_percentile_estimates(
            column, bounds, parameters, np.asarray([50.0]), settings
        )

    summed = True

    def ranked(self, parameters: Mapping[str, Any]) -> tuple[bool, np.ndarray]:
        """The median, of values without NULLs or with them as 0."""
        return bool(parameters.get("remove_nulls", False)), np.asarray([50.0])

    def estimate_from_sums(
        self, sums: ScalarSums, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Every group's median from the values at its ranks."""
        return _percentiles_from_sums(sums, *self.ranked(parameters), settings, self.name)


def _percentiles_from_sums(
    sums: ScalarSums,
    remove_nulls: bool,
    percentiles: np.ndarray,
    settings: IntervalSettings,
    name: str,
) -> Sequence[Estimates | None]:
    """Every group's percentiles: analytic (valid at any size: never bootstrapped under
    ``auto``), or under ``bootstrap`` from the values at ranks drawn from the statistic's
    generators (None without them: the clients' path computes them)."""
    order = sums.order[remove_nulls]
    found = percentiles_from_order(order, sums.moments.count > 0, percentiles, settings)
    if settings.method != "bootstrap":
        return found
    generator = sums.rank_generator
    if generator is None:
        return [None] * len(found)
    return bootstrapped_percentiles(
        found, order, percentiles, settings, lambda group: generator(group, name)
    )


def percentile_estimates(
    sample: ScalarSample,
    parameters: Mapping[str, Any],
    percentiles: np.ndarray,
    settings: IntervalSettings,
    rng: np.random.Generator,
) -> Estimates:
    """``percentiles`` of the sample's client values, with intervals."""
    values = sample.values
    if parameters.get("remove_nulls", False):
        values = values[~np.isnan(values)]
    elif np.all(np.isnan(values)):
        return NONE
    values = np.sort(np.nan_to_num(values, nan=0.0))
    if values.size == 0:
        return NONE
    q = percentiles / 100.0
    points = np.percentile(values, percentiles)
    names = parameter_names(percentiles)
    if values.size < 2:
        return no_interval(names, points)
    if settings.bootstraps(values.size, analytic_always_valid=True):
        draws = binomial_rank_draws(values, q, settings.samples, rng)
        return from_draws(names, points, draws, settings)
    lower, upper = order_statistic_bounds(values, q, settings)
    # with few clients both ends can be one order statistic, beside an interpolated point
    lower, upper = np.fmin(lower, points), np.fmax(upper, points)
    se = (upper - lower) / (2 * settings.z)
    return Estimates(names, points, lower, upper, se=se)


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
            numerator_totals, _ = resamples.sums(sample.values)
            denominator_totals, _ = resamples.sums(sample.metrics[denominator_name])
            with np.errstate(invalid="ignore", divide="ignore"):
                draws = numerator_totals / denominator_totals
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

        def draws(found: GroupReplicates) -> np.ndarray:
            return _ratio(found.totals[sums.name], found.totals[denominator_name])

        return [
            NONE
            if total == 0
            else _from_moments(
                point, error, int(clients), settings, names, sums.replicate_draws(group, draws)
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
    draws: Callable[[], np.ndarray] | None = None,
    skew: float | None = None,
) -> Estimates | None:
    """One group's estimate from its sums: no interval below two ``clients``; where the
    interval is bootstrapped over ``clients``, from the replicates ``draws`` gives, None
    without them; else the normal interval, or with the values' ``skew``, Hall's."""
    if clients < 2:
        return no_interval(names, [point])
    if settings.bootstraps(clients):
        if draws is None:
            return None
        return from_draws(names, np.asarray([point]), draws()[None, :], settings)
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


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where a resample has nothing to divide by."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(numerator / denominator)
