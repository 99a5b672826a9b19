"""Percentiles of scalar metrics' client values: ``percentile`` and OpMon's ``quantile``.

Percentiles are of client values, where a client without a value counts as 0 unless
``remove_nulls = true`` (OpMon put NULLs in its lowest bucket); points interpolate linearly
between order statistics (numpy's default). Intervals: the order-statistic (binomial) interval,
valid at any size, or OpMon's efficient bootstrap (values at Binomial(n, q) ranks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from opwatch.stats.grouped import grouped_percentile_estimates
from opwatch.stats.intervals import (
    NONE,
    Estimates,
    IntervalSettings,
    binomial_rank_draws,
    from_draws,
    no_interval,
    order_statistic_bounds,
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
from opwatch.stats.scalar_sums import ScalarSums, bootstrapped_percentiles, percentiles_from_order


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
