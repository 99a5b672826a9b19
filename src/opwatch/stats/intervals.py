"""Confidence intervals: how they are computed, and the estimate a statistic returns.

Chosen per project (``[project.statistics]``, see docs/statistics.md):

- **bootstrap** over clients, seeded and vectorized. Quantiles use the "efficient bootstrap"
  (a resample's ``q``-quantile of ``n`` sorted values is the value at a Binomial(n, q) rank), so
  10,000 resamples cost 10,000 random numbers, not 10,000 x n. Sums, means, ratios and
  histograms use Poisson(1) client weights (each client appears a Poisson number of times in a
  resample), a hash of (client, replicate, seed) (:mod:`opwatch.stats.replicates`), so an
  engine computes the same replicates in SQL; here one matrix product per chunk of clients.
- **analytic**, valid for the large samples monitoring sees: skewness-corrected t intervals
  (Hall's transformation) for means and sums, the delta method for ratios, order-statistic
  (binomial) intervals for quantiles of client values (distribution-free), and Woodruff's for
  percentiles of the mean histogram (the normal interval of the CDF at the percentile, mapped
  back through the histogram).
- **auto** (the default) uses the analytic intervals, except where a normal approximation is
  not valid: means, sums and ratios of fewer than :data:`AUTO_ANALYTIC_MIN_CLIENTS` clients
  are bootstrapped (cheap at that size). The order-statistic interval of a quantile is valid
  at any size; it is also the limit, with infinitely many resamples, of the efficient
  bootstrap's interval, without its Monte Carlo noise. Histogram intervals (Woodruff's, and
  each bucket's) are normal intervals of means of values in [0, 1]: used at any size too.

The interval is the central ``level`` interval (equal tails). Bootstrap replicates and standard
errors are kept on the estimate so that branch comparisons can combine them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri, stdtrit

from opwatch.stats.replicates import poisson_weights

IntervalMethod = Literal["auto", "bootstrap", "analytic"]
AUTO_ANALYTIC_MIN_CLIENTS = 30
"""Smallest group ``auto`` gives normal-approximation intervals; smaller ones are bootstrapped."""
POISSON_CHUNK_CELLS = 4_000_000
"""Poisson weights drawn at once (resamples x clients): bounds the memory of a bootstrap."""


@dataclass(frozen=True)
class IntervalSettings:
    """How a project's intervals are computed."""

    method: IntervalMethod = "auto"
    level: float = 0.95
    samples: int = 1000
    """Bootstrap resamples."""
    seed: int = 0

    @property
    def z(self) -> float:
        """The standard normal quantile of the upper tail: 1.96 for 95 %."""
        return float(ndtri(0.5 + self.level / 2))

    @property
    def tails(self) -> tuple[float, float]:
        """The lower and upper tail probabilities: (0.025, 0.975) for 95 %."""
        alpha = 1 - self.level
        return alpha / 2, 1 - alpha / 2

    def bootstraps(self, clients: int, analytic_always_valid: bool = False) -> bool:
        """Whether a statistic of ``clients`` clients is bootstrapped.

        ``auto`` bootstraps only where the analytic interval is not valid: a normal
        approximation of a mean, sum or ratio needs :data:`AUTO_ANALYTIC_MIN_CLIENTS` clients;
        below that the bootstrap is cheap anyway. Statistics whose analytic interval is used
        at any size say so (``analytic_always_valid``).
        """
        if self.method != "auto":
            return self.method == "bootstrap"
        return not analytic_always_valid and clients < AUTO_ANALYTIC_MIN_CLIENTS

    def rng(self, *key: object) -> np.random.Generator:
        """A generator seeded by the project's seed and ``key`` (group, metric, statistic):
        every group draws its own stream, the same on every run and whatever runs before it."""
        digest = hashlib.sha256(repr((self.seed, *key)).encode()).digest()
        return np.random.default_rng(np.frombuffer(digest[:16], dtype=np.uint32))


class Estimate(NamedTuple):
    """One value of a statistic with its interval (None where there is none)."""

    parameter: str | None
    point: float
    lower: float | None
    upper: float | None


@dataclass
class Estimates:
    """A statistic's values for one group, column by column: one per parameter (a percentile,
    a bucket), with their intervals. NaN in ``lower``/``upper`` means no interval.

    Columns, not objects: a project-day has up to millions of values, and the statistics step
    turns whole batches into table columns at once.
    """

    parameters: Sequence[str | None]
    points: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    draws: np.ndarray | None = None
    """Bootstrap replicates (values x replicates), when bootstrapped: for comparisons."""
    se: np.ndarray | None = None
    """Standard errors, when computed analytically: for comparisons."""

    def __len__(self) -> int:
        return len(self.parameters)

    def __getitem__(self, index: int) -> Estimate:
        return Estimate(
            self.parameters[index],
            float(self.points[index]),
            _optional(self.lower[index]),
            _optional(self.upper[index]),
        )

    def __iter__(self) -> Iterator[Estimate]:
        return (self[index] for index in range(len(self)))

    def take(self, rows: np.ndarray) -> Estimates:
        """The values at ``rows`` (indexes), in that order."""
        return Estimates(
            [self.parameters[i] for i in rows],
            self.points[rows],
            self.lower[rows],
            self.upper[rows],
            None if self.draws is None else self.draws[rows],
            None if self.se is None else self.se[rows],
        )


def _optional(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def no_interval(parameters: Sequence[str | None], points: npt.ArrayLike) -> Estimates:
    """Values without intervals (a count, a single client)."""
    values = np.asarray(points, dtype=np.float64)
    nothing = np.full(values.size, np.nan)
    return Estimates(list(parameters), values, nothing, nothing.copy())


NONE = no_interval([], np.empty(0))
"""No values (a group without data for a statistic)."""


def from_draws(
    parameters: Sequence[str | None],
    points: np.ndarray,
    draws: np.ndarray,
    settings: IntervalSettings,
) -> Estimates:
    """Values whose intervals are the central quantiles of each row of ``draws``
    (values x replicates), computed together.

    An interval is widened to hold its point if needed: with a handful of clients, the
    replicates of a percentile are order statistics and can all miss an interpolated point.
    Replicates that are not finite (a ratio over an empty resample) are left out.
    """
    values = np.asarray(points, dtype=np.float64)
    ends = row_quantiles(draws, settings.tails)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(ends[0]) & np.isfinite(values)
        lower = np.where(usable, np.fmin(ends[0], values), np.nan)
        upper = np.where(usable, np.fmax(ends[1], values), np.nan)
    return Estimates(list(parameters), values, lower, upper, draws=draws)


def row_quantiles(draws: np.ndarray, tails: tuple[float, float]) -> np.ndarray:
    """Quantiles (numpy's linear interpolation) of each row's finite values: 2 x rows.

    Vectorized even when rows have different numbers of finite values (replicates of a ratio
    over an empty resample are NaN), where ``np.nanquantile`` would go row by row.
    """
    ordered = np.sort(np.where(np.isfinite(draws), draws, np.nan), axis=1)  # NaN last
    counts = np.isfinite(ordered).sum(axis=1)
    rows = np.arange(ordered.shape[0])
    ends = np.full((2, ordered.shape[0]), np.nan)
    for index, tail in enumerate(tails):
        position = (counts - 1) * tail
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(counts - 1, 0))
        below = np.maximum(below, 0)
        fraction = position - np.floor(position)
        low, high = ordered[rows, below], ordered[rows, above]
        with np.errstate(invalid="ignore"):
            ends[index] = np.where(counts > 0, low + fraction * (high - low), np.nan)
    return ends


def from_se(
    parameters: Sequence[str | None],
    points: np.ndarray,
    se: np.ndarray,
    settings: IntervalSettings,
) -> Estimates:
    """Normal intervals: ``point ± z · se`` (none where ``se`` is not finite)."""
    values = np.asarray(points, dtype=np.float64)
    errors = np.asarray(se, dtype=np.float64)
    half = settings.z * errors
    return Estimates(list(parameters), values, values - half, values + half, se=errors)


def from_skewed_se(
    parameters: Sequence[str | None],
    points: np.ndarray,
    se: np.ndarray,
    skewness: np.ndarray,
    clients: np.ndarray,
    settings: IntervalSettings,
) -> Estimates:
    """Intervals of means (or sums) of skewed values: Hall's (1992) transformation of the
    Student t statistic, which removes the first-order effect of the values' skewness.

    The t statistic ``T = (x̄ - μ) / se`` of skewed values is itself skewed, so the symmetric
    ``x̄ ± t·se`` misses on the long tail's side (a nominal 95 % covers 87 % for the mean of 40
    log-normal values). Hall's ``h(T) = T + gT²/(3√n) + g²T³/(27n) + g/(6√n)`` (g the values'
    skewness) is close to symmetric, and monotone, with the closed-form inverse
    ``h⁻¹(u) = 3√n/g · ((1 + g/√n · (u - g/(6√n)))^(1/3) - 1)``: the interval is
    ``[x̄ - se·h⁻¹(q), x̄ - se·h⁻¹(-q)]``, ``q`` the t quantile with n - 1 degrees of freedom.
    Without skewness it is the t interval. Only the first three moments are needed, so an
    engine's sums give it. ``se`` stays the estimate's standard error (for comparisons).
    """
    values = np.asarray(points, dtype=np.float64)
    errors = np.asarray(se, dtype=np.float64)
    n = np.asarray(clients, dtype=np.float64)
    gamma = np.nan_to_num(np.asarray(skewness, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stdtrit(n - 1, 0.5 + settings.level / 2)
        root = np.sqrt(n)

        def inverse(u: np.ndarray) -> np.ndarray:
            shifted = gamma / root * (u - gamma / (6 * root))
            curved = 3 * root / gamma * (np.cbrt(1 + shifted) - 1)
            return np.asarray(np.where(np.abs(gamma) < 1e-9, u, curved))

        lower = values - errors * inverse(q)
        upper = values - errors * inverse(-q)
    return Estimates(list(parameters), values, lower, upper, se=errors)


def skewness(centered: np.ndarray, cubed: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The values' sample skewness ``m₃ / m₂^(3/2)`` (moments about the mean, divided by n)
    from ``Σ(x - x̄)²`` and ``Σ(x - x̄)³``; 0 where there is no spread."""
    with np.errstate(invalid="ignore", divide="ignore"):
        found = (cubed / n) / (centered / n) ** 1.5
    return np.asarray(np.where(np.isfinite(found), found, 0.0))


def poisson_weighted_sums(
    columns: np.ndarray, clients: np.ndarray, settings: IntervalSettings
) -> np.ndarray:
    """``settings.samples`` Poisson-bootstrap resamples of the column sums of ``columns``
    (n x m), the rows' clients identified by ``clients`` (their :func:`client_hash`).

    Returns samples x m: row ``b`` is ``Σ_i w_bi · columns[i]``, ``w_bi`` the Poisson(1)
    weight :mod:`opwatch.stats.replicates` gives client ``i`` in replicate ``b`` — the weight
    an engine computes in SQL for the same client, so both give the same replicates.
    """
    n = columns.shape[0]
    totals = np.zeros((settings.samples, columns.shape[1]))
    chunk = max(1, POISSON_CHUNK_CELLS // max(settings.samples, 1))
    for start in range(0, n, chunk):
        block = columns[start : start + chunk]
        weights = poisson_weights(clients[start : start + chunk], settings.samples, settings.seed)
        totals += weights @ block
    return totals


def binomial_rank_draws(
    sorted_values: np.ndarray, q: np.ndarray, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap replicates of the ``q``-quantiles of ``sorted_values``: len(q) x samples.

    A resample's quantile is the value at rank ``r ~ Binomial(n, q)`` of the sorted sample
    (Schultzberg & Ankargren's efficient bootstrap, as Mozilla's OpMon uses).
    """
    return np.asarray(sorted_values[binomial_ranks(sorted_values.size, q, samples, rng)])


def binomial_ranks(n: int, q: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """The 0-based ranks :func:`binomial_rank_draws` reads in a sample of ``n``: len(q) x
    samples. Only ``n`` is needed, so an engine can be asked for the values at these ranks."""
    return np.minimum(rng.binomial(n, q[:, None], size=(q.size, samples)), n - 1)


def order_statistic_bounds(
    sorted_values: np.ndarray, q: np.ndarray, settings: IntervalSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Distribution-free interval of the ``q``-quantiles: order statistics whose ranks bracket
    the Binomial(n, q) count of values below the true quantile with probability ``level``."""
    lower_rank, upper_rank = order_statistic_ranks(sorted_values.size, q, settings)
    return sorted_values[lower_rank], sorted_values[upper_rank]


def order_statistic_ranks(
    n: int, q: np.ndarray, settings: IntervalSettings
) -> tuple[np.ndarray, np.ndarray]:
    """The 0-based ranks of :func:`order_statistic_bounds` in a sample of ``n``."""
    lower, upper = order_statistic_ranks_of_sizes(np.asarray([n]), q, settings)
    return lower[0], upper[0]


_KNOWN_RANKS: dict[tuple[tuple[float, ...], tuple[float, float]], dict[int, np.ndarray]] = {}
"""Ranks already computed, by (quantiles, tails), then size: 2 x len(q) each. Groups of the
same size share them, most groups are small, and a day's sizes come back the next day."""
KNOWN_RANKS_LIMIT = 200_000
"""Sizes kept per (quantiles, tails) before the cache starts again (about 1.6 KB each)."""


def order_statistic_ranks_of_sizes(
    sizes: np.ndarray, q: np.ndarray, settings: IntervalSettings
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`order_statistic_ranks` of samples of every size in ``sizes`` (each ≥ 1):
    sizes x len(q) each. Sizes not seen before are computed in one vectorized binomial
    quantile call (scipy's is slow per call; a build-id project has hundreds of sizes a day)."""
    known = _KNOWN_RANKS.setdefault((tuple(q.tolist()), settings.tails), {})
    wanted = np.asarray(sizes, dtype=np.int64)
    missing = np.setdiff1d(wanted, np.fromiter(known, dtype=np.int64, count=len(known)))
    if missing.size:
        if len(known) + missing.size > KNOWN_RANKS_LIMIT:
            known.clear()
        lower, upper = _binomial_ranks(missing, q, settings.tails)
        for index, size in enumerate(missing.tolist()):
            known[size] = np.stack([lower[index], upper[index]])
    both = np.stack([known[size] for size in wanted.tolist()]) if wanted.size else None
    if both is None:
        empty = np.empty((0, q.size), dtype=np.int64)
        return empty, empty.copy()
    return both[:, 0], both[:, 1]


def _binomial_ranks(
    sizes: np.ndarray, q: np.ndarray, tails: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The ranks bracketing the Binomial(n, q) count below the true quantile: the lower tail's
    quantile minus one and the upper tail's, clipped to the sample."""
    from scipy.stats import binom

    n = sizes[:, None]
    lower = binom.ppf(tails[0], n, q[None, :]).astype(np.int64) - 1
    upper = binom.ppf(tails[1], n, q[None, :]).astype(np.int64)
    return np.clip(lower, 0, n - 1), np.clip(upper, 0, n - 1)
