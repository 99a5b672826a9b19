"""The statistics registry: a statistic is one small class, registered by its config name.

A statistic turns the clients of one group (one branch x x-axis value x dimension values) into
estimates: one per parameter (a percentile, a bucket), each with its interval. It says which
metric types it applies to; the statistics step looks it up by the name used in
``[metrics.X.statistics]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import numpy as np

from opwatch.registry import Registry
from opwatch.stats.intervals import Estimates, IntervalSettings, poisson_weighted_sums
from opwatch.stats.scalar_bootstrap import Resampled

DEFAULT_PERCENTILES = (50, 90, 99)
"""OpMon's percentiles when a ``percentile`` statistic names none (config fills the same
default in; a test pins the two equal)."""
SERVED_PERCENTILES = tuple(range(1, 100))
"""Percentiles computed for every metric with a percentile statistic, besides the configured
ones: the dashboard's percentile control can ask for any of them. Only the configured ones are
rows of their own (see :meth:`Statistic.row_parameters`); the results store keeps the others
packed, a list per group."""


@dataclass(frozen=True)
class ScalarSample:
    """One metric's client values in a group, aligned with the group's other metrics."""

    values: np.ndarray
    """One value per client row; NaN where the client had no data (NULL)."""
    metrics: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Every scalar metric of the group by name, aligned row by row (for ratios)."""
    resamples: BootstrapTotals | None = None
    """The group's bootstrap totals, shared by its metrics' statistics (see
    :class:`BootstrapTotals`); built for this sample alone when not given."""
    clients: np.ndarray | None = None
    """Each row's client, as :func:`~opwatch.stats.replicates.client_hash` (its bootstrap
    weights); rows numbered 0, 1, … stand for them when not given."""

    def bootstrap(self, settings: IntervalSettings) -> BootstrapTotals:
        """The bootstrap totals of this sample's group."""
        if self.resamples is not None:
            return self.resamples
        clients = client_numbers(self.values.size, self.clients)
        return BootstrapTotals({"": self.values, **self.metrics}, clients, settings)


def client_numbers(rows: int, clients: np.ndarray | None) -> np.ndarray:
    """The rows' clients for their bootstrap weights: ``clients``, or 0 … rows - 1."""
    return np.arange(rows, dtype=np.int64) if clients is None else clients


class BootstrapTotals:
    """Poisson-bootstrap totals of every scalar metric of a group, from one set of weights.

    Resampling clients means resampling whole client rows: the statistics of one group (a mean
    here, a ratio of two metrics there) share the same resamples, in one matrix product over
    every metric's columns. Computed on first use: groups with analytic intervals never pay
    for it.
    """

    def __init__(
        self,
        metrics: Mapping[str, np.ndarray],
        clients: np.ndarray,
        settings: IntervalSettings,
    ) -> None:
        self.metrics, self.hashes, self.settings = metrics, clients, settings
        self._totals: np.ndarray | None = None

    def _computed(self) -> np.ndarray:
        if self._totals is None:
            columns = [np.ones(self.hashes.size)]
            for values in self.metrics.values():
                present = ~np.isnan(values)
                mean = values[present].mean() if present.any() else 0.0
                deviations = np.where(present, values - mean, 0.0)
                columns += [
                    np.where(present, values, 0.0),
                    present.astype(np.float64),
                    deviations,
                    deviations * deviations,
                ]
            self._totals = poisson_weighted_sums(
                np.column_stack(columns), self.hashes, self.settings
            )
        return self._totals

    def clients(self) -> np.ndarray:
        """Each resample's number of client rows (Σ w)."""
        return self._computed()[:, 0]

    def resampled(self, values: np.ndarray) -> Resampled:
        """Each resample's totals of the metric column ``values`` (one of the group's, by
        identity): the same five the engine adds up (see :class:`Resampled`)."""
        for index, column in enumerate(self.metrics.values()):
            if column is values:
                totals = self._computed()
                first = 1 + 4 * index
                return Resampled(totals[:, 0], *(totals[:, first + k] for k in range(4)))
        raise KeyError("values are not one of the group's metric columns")


@dataclass(frozen=True)
class HistogramSample:
    """One histogram metric's clients in a group: a clients x buckets matrix of shares."""

    shares: np.ndarray
    """Each client's normalized histogram (rows sum to 1)."""
    lower: np.ndarray
    """Bucket lower bounds, in the unit percentiles are reported in."""
    upper: np.ndarray
    """Bucket upper bounds (the overflow bucket's is its lower bound)."""
    clients: np.ndarray | None = None
    """Each row's client, as :func:`~opwatch.stats.replicates.client_hash` (its bootstrap
    weights); rows numbered 0, 1, … stand for them when not given."""
    resampled: dict[str, np.ndarray] = field(default_factory=dict, compare=False)
    """Bootstrap replicates of the mean histogram, once drawn: the group's statistics share
    them."""


class Statistic(ABC):
    """A statistic of a metric's clients, with intervals."""

    name: ClassVar[str]
    metric_types: ClassVar[frozenset[str]] = frozenset({"scalar"})
    vectorized: ClassVar[bool] = False
    """Whether :meth:`estimate_groups` computes the analytic path for every group at once
    (statistics that have it use their analytic interval at any group size)."""

    @abstractmethod
    def estimate(
        self,
        sample: Any,
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
        rng: np.random.Generator,
    ) -> Estimates:
        """The statistic's values for ``sample`` (a ScalarSample or HistogramSample)."""

    def estimate_groups(
        self,
        data: Any,
        bounds: list[tuple[int, int]],
        parameters: Mapping[str, Any],
        settings: IntervalSettings,
    ) -> list[Estimates]:
        """The values of many groups at once, when :meth:`groups_at_once`; they must equal
        :meth:`estimate`'s group by group (tests check it).

        ``data`` holds every group's rows, group ``i`` being rows ``bounds[i]``: a scalar
        metric's column, or a HistogramSample of the stacked client histograms.
        """
        raise NotImplementedError(f"{self.name} is computed group by group")

    summed: ClassVar[bool] = False
    """Whether :meth:`estimate_from_sums` gives the analytic path from per-group sums (see
    :mod:`opwatch.stats.histogram_sums` and :mod:`opwatch.stats.scalar_sums`)."""

    def estimate_from_sums(
        self, sums: Any, parameters: Mapping[str, Any], settings: IntervalSettings
    ) -> Sequence[Estimates | None]:
        """Every group's values from ``sums`` (a HistogramSums or ScalarSums), when
        :attr:`summed`; they must equal :meth:`estimate`'s (tests check it). None for a group
        whose interval needs the clients (a bootstrap)."""
        raise NotImplementedError(f"{self.name} needs the clients' values")

    def ranked(self, parameters: Mapping[str, Any]) -> tuple[bool, np.ndarray] | None:
        """For a statistic of order statistics (percentiles), whether NULLs are left out
        (else ranked as 0) and the percentiles: the sums it reads must hold the values at
        their ranks (:class:`~opwatch.stats.scalar_sums.OrderStatistics`)."""
        return None

    def groups_at_once(self, settings: IntervalSettings) -> bool:
        """Whether :meth:`estimate_groups` serves these settings: it computes the analytic
        path only, so not when every group is bootstrapped."""
        return self.vectorized and settings.method != "bootstrap"

    def compared(self, values: Estimates, parameters: Mapping[str, Any]) -> Estimates:
        """The values compared between branches (all, unless a statistic says otherwise)."""
        return values

    def row_parameters(self, parameters: Mapping[str, Any]) -> frozenset[str] | None:
        """The parameters whose values are first-class results (a row each, detected, compared),
        None for all of them. The others are served on request only (the dashboard's
        percentile control): storage may keep them in a compact form."""
        return None


STATISTICS: dict[str, Registry[type[Statistic]]] = {
    "scalar": Registry("statistic of scalar metrics"),
    "histogram": Registry("statistic of histogram metrics"),
}
"""Metric type → its statistics by config name: ``percentile`` has a class for each type."""
S = TypeVar("S", bound=type[Statistic])


def register(cls: S) -> S:
    """Class decorator: make ``cls`` available under its ``name`` for its metric types."""
    for metric_type in cls.metric_types:
        STATISTICS[metric_type].add(cls.name, cls)
    return cls


def statistic(name: str, metric_type: str) -> Statistic:
    """The statistic called ``name`` for ``metric_type`` metrics; UnknownNameError (with the
    valid names) when there is none: a name config let through is a bug, not a skip."""
    return STATISTICS[metric_type].get(name)()


def parameter_names(values: np.ndarray) -> tuple[str, ...]:
    """:func:`format_parameter` of each value; the same percentile lists come back for every
    group, so their names are computed once."""
    return _names(tuple(values.tolist()))


@lru_cache(maxsize=1024)
def _names(values: tuple[float, ...]) -> tuple[str, ...]:
    return tuple(format_parameter(value) for value in values)


def format_parameter(value: float) -> str:
    """A percentile or bucket as a parameter string: ``50``, ``99.9``, ``0.5``."""
    return f"{value:g}" if value != int(value) else str(int(value))


def configured_percentiles(parameters: Mapping[str, Any]) -> list[float]:
    """The percentiles a ``percentile`` statistic's parameters name (OpMon's default if none)."""
    return [float(p) for p in parameters.get("percentiles", DEFAULT_PERCENTILES)]


def requested_percentiles(parameters: Mapping[str, Any]) -> list[float]:
    """The configured percentiles plus every served one, sorted and distinct."""
    configured = configured_percentiles(parameters)
    return sorted(set(configured) | {float(p) for p in SERVED_PERCENTILES})


def configured_percentile_names(parameters: Mapping[str, Any]) -> frozenset[str]:
    """The parameter names of the configured percentiles (``50``, ``99.9``)."""
    return frozenset(parameter_names(np.asarray(configured_percentiles(parameters))))


def only_configured_percentiles(values: Estimates, parameters: Mapping[str, Any]) -> Estimates:
    """The values of the configured percentiles: branch comparisons are stored for those
    only."""
    wanted = configured_percentile_names(parameters)
    keep = [index for index, name in enumerate(values.parameters) if name in wanted]
    return values.take(np.asarray(keep, dtype=np.int64))
