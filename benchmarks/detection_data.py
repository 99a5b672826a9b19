"""A seeded, labelled set of synthetic daily series for the change-detection benchmark.

Two families, scored separately by ``benchmarks/detection.py``:

- ``scalar``: 112 points (16 weeks of days). Level ``L ~ U[50, 500]``, noise sd ``L * cv`` with
  ``cv ~ U[0.005, 0.02]``. The noise is AR(1), ``rho = 0`` for every other series of a kind and
  ``rho = 0.2`` for the rest, its innovations scaled so that its marginal sd is as given.
- ``histogram``: 112 days of 40 buckets with exponential edges from 1 to 10000
  (``np.geomspace(1, 10000, 41)``: the mass below 1 goes to the first bucket, above 10000 to
  the last). Each day ``N ~ U[1000, 5000]`` clients' values are drawn (``rng.multinomial``)
  from a log-normal mixture: ``lognormal(mu_day, 1)`` with weight ``1 - w`` and a slow
  component ``lognormal(mu_day + 1.5, 1)`` with weight ``w`` (0.05). ``mu_day = mu0``
  (``U[2.5, 4]``) plus day-level AR(1) noise (sd 0.02, ``rho`` as for scalars) plus the effects.
  Rows are integer counts.

Effect sizes ``delta`` are in units of the day-to-day noise of what moves. For scalars that is
the noise's marginal sd. For histograms it is measured on 200 quiet days of the series' own
generator (its ``mu0`` and ``rho``): the sd of the mean bucket position for a shift of the
location, the sd of the 95th percentile's bucket position (linear inside a bucket) for a change
of the tail. A location effect of ``delta`` sds moves ``mu_day`` by ``delta * sd / slope``,
``slope`` being how fast the expected mean position moves with ``mu``.

Kinds (counts per family at ``scale`` 1; ``tail`` only for histograms):

- ``step`` (30): one step at ``t0 ~ U[20, 92)`` of ``delta ~ U[2, 6]`` sds, random sign;
- ``step_revert`` (10): a step at ``t0 ~ U[20, 60)`` that reverts at ``t0 + U[14, 30]``: two
  labels of opposite directions;
- ``drift`` (20): a linear ramp of ``L ~ U[4, 10]`` points from ``t0 ~ U[20, 85)``, total
  ``delta ~ U[3, 6]`` sds, labelled at ``t0 + L // 2``;
- ``tail`` (10): the slow component's weight goes from 0.05 to ``0.05 + dw`` at ``t0``, ``dw``
  found by bisection so that the expected p95 position moves ``delta ~ U[2, 6]`` sds; ``up``;
- quiet, no label: ``noise`` (60); ``seasonal`` (30), a weekly pattern (7 centered weekday
  offsets drawn N(0, 1), scaled so the largest is ``U[1, 3]`` sds) on every day; ``spike``
  (30), 1 or 2 one-day spikes of ``U[6, 12]`` sds, random sign, at least 3 days from either
  end and not on neighbouring days: a one-day spike is not a change.

A third of the ``step`` and ``drift`` series get a weekly pattern as well. A label is the first
point of the new regime and its direction.

Every series has its own generator, ``SeedSequence(seed, spawn_key=(family, kind, number))``,
so a series does not depend on how many others are drawn. Seed 20261126 (the default) is the
REPORTED set; seed 1 is the DEVELOPMENT set that techniques are tuned on: tune on 1, report
20261126, never the other way round.

Run ``.venv/bin/python benchmarks/detection_data.py [--seed N] [--scale F]`` for a summary.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

DAYS = 112
REPORTED_SEED = 20261126
DEVELOPMENT_SEED = 1
FAMILIES = ("scalar", "histogram")
KIND_COUNTS = {
    "step": 30,
    "step_revert": 10,
    "drift": 20,
    "tail": 10,
    "noise": 60,
    "seasonal": 30,
    "spike": 30,
}
QUIET_KINDS = ("noise", "seasonal", "spike")
HISTOGRAM_ONLY_KINDS = frozenset({"tail"})
SEASONAL_SHARE_KINDS = frozenset({"step", "drift"})
"""Changed kinds of which every third series also gets a weekly pattern."""
RHOS = (0.0, 0.2)

EDGES = np.geomspace(1.0, 10000.0, 41)
BUCKETS = len(EDGES) - 1
LOG_SD = 1.0
SLOW_OFFSET = 1.5
SLOW_WEIGHT = 0.05
DAY_SD = 0.02
CLIENTS = (1000, 5000)
QUIET_DAYS = 200
"""Quiet days simulated per histogram series to measure its day-to-day noise."""


@dataclass(frozen=True)
class Label:
    """A labelled change: the first point of the new regime, its direction and size."""

    index: int
    direction: str
    delta: float
    """Size in noise sds of what moves."""


@dataclass(frozen=True)
class Record:
    """One series of the set and what is known about it."""

    family: str
    kind: str
    number: int
    values: np.ndarray
    """1-D floats (scalar) or 2-D int counts, one row per day (histogram)."""
    labels: tuple[Label, ...]
    seed: int
    """``np.random.default_rng(seed)`` draws this series again."""
    rho: float
    noise_sd: float
    """The noise sd effects are measured in (for histograms, of the summary that moves)."""
    seasonal_amplitude: float = 0.0
    """Largest weekday offset in noise sds; 0 without a weekly pattern."""
    spikes: tuple[float, ...] = ()
    """Signed sizes of the one-day spikes, in noise sds."""

    @property
    def name(self) -> str:
        return f"{self.family}/{self.kind}/{self.number:03d}"

    @property
    def quiet(self) -> bool:
        return self.kind in QUIET_KINDS


@dataclass
class Plan:
    """What happens to a series, in noise sds, before it is rendered as one family."""

    location: np.ndarray = field(default_factory=lambda: np.zeros(DAYS))
    """Effects on the level (scalars) or on ``mu_day`` (histograms), per day."""
    labels: list[Label] = field(default_factory=list)
    tail_start: int | None = None
    tail_delta: float = 0.0
    seasonal_amplitude: float = 0.0
    spikes: tuple[float, ...] = ()


# --- plans: what changes, family-independent ---------------------------------------------


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _direction(sign: float) -> str:
    return "up" if sign > 0 else "down"


def plan_step(rng: np.random.Generator, plan: Plan) -> None:
    """One lasting step."""
    t0, delta, sign = int(rng.integers(20, 92)), float(rng.uniform(2, 6)), _sign(rng)
    plan.location += sign * delta * (np.arange(DAYS) >= t0)
    plan.labels.append(Label(t0, _direction(sign), delta))


def plan_step_revert(rng: np.random.Generator, plan: Plan) -> None:
    """A step that comes back two to four weeks later."""
    t0, delta, sign = int(rng.integers(20, 60)), float(rng.uniform(2, 6)), _sign(rng)
    t1 = t0 + int(rng.integers(14, 31))
    days = np.arange(DAYS)
    plan.location += sign * delta * ((days >= t0) & (days < t1))
    plan.labels += [Label(t0, _direction(sign), delta), Label(t1, _direction(-sign), delta)]


def plan_drift(rng: np.random.Generator, plan: Plan) -> None:
    """A linear ramp over 4 to 10 points, labelled at its middle."""
    t0, length = int(rng.integers(20, 85)), int(rng.integers(4, 11))
    delta, sign = float(rng.uniform(3, 6)), _sign(rng)
    plan.location += sign * delta * np.clip((np.arange(DAYS) - t0 + 1) / length, 0.0, 1.0)
    plan.labels.append(Label(t0 + length // 2, _direction(sign), delta))


def plan_tail(rng: np.random.Generator, plan: Plan) -> None:
    """More clients in the slow component from ``t0`` on (histograms only)."""
    t0, delta = int(rng.integers(20, 92)), float(rng.uniform(2, 6))
    plan.tail_start, plan.tail_delta = t0, delta
    plan.labels.append(Label(t0, "up", delta))


def plan_noise(rng: np.random.Generator, plan: Plan) -> None:
    """Nothing but noise."""


def plan_seasonal(rng: np.random.Generator, plan: Plan) -> None:
    """A weekly pattern on every day."""
    add_weekly_pattern(rng, plan)


def plan_spike(rng: np.random.Generator, plan: Plan) -> None:
    """One or two one-day spikes away from the ends and from each other."""
    count, days = int(rng.integers(1, 3)), []
    while len(days) < count:
        day = int(rng.integers(3, DAYS - 3))
        if all(abs(day - other) > 1 for other in days):
            days.append(day)
    sizes = tuple(_sign(rng) * float(rng.uniform(6, 12)) for _ in days)
    for day, size in zip(days, sizes, strict=True):
        plan.location[day] += size
    plan.spikes = sizes


def add_weekly_pattern(rng: np.random.Generator, plan: Plan) -> None:
    """7 centered weekday offsets, the largest ``U[1, 3]`` noise sds, on every day."""
    offsets = rng.normal(size=7)
    offsets -= offsets.mean()
    amplitude = float(rng.uniform(1, 3))
    plan.location += (amplitude * offsets / np.abs(offsets).max())[np.arange(DAYS) % 7]
    plan.seasonal_amplitude = amplitude


PLANS = {
    "step": plan_step,
    "step_revert": plan_step_revert,
    "drift": plan_drift,
    "tail": plan_tail,
    "noise": plan_noise,
    "seasonal": plan_seasonal,
    "spike": plan_spike,
}


# --- noise ---------------------------------------------------------------------------------


def ar1(rng: np.random.Generator, rho: float, length: int = DAYS) -> np.ndarray:
    """AR(1) noise of marginal sd 1."""
    innovations = rng.standard_normal(length) * math.sqrt(1.0 - rho * rho)
    noise = np.empty(length)
    noise[0] = rng.standard_normal()
    for t in range(1, length):
        noise[t] = rho * noise[t - 1] + innovations[t]
    return noise


# --- histograms: the mixture, its summaries, the noise of each ------------------------------

_erf = np.vectorize(math.erf, otypes=[float])


def bucket_probabilities(mu: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per day, each bucket's share of the log-normal mixture (ends folded into the edges)."""
    logs = np.log(EDGES)[None, :]
    mu, weight = np.asarray(mu, float)[:, None], np.asarray(weight, float)[:, None]

    def normal_cdf(center: np.ndarray) -> np.ndarray:
        return 0.5 * (1.0 + _erf((logs - center) / (LOG_SD * math.sqrt(2.0))))

    cdf = (1.0 - weight) * normal_cdf(mu) + weight * normal_cdf(mu + SLOW_OFFSET)
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0
    return np.diff(cdf, axis=1)


def mean_position(shares: np.ndarray) -> np.ndarray:
    """Per row, the mean bucket index of a histogram of shares."""
    return shares @ np.arange(shares.shape[1], dtype=float)


def quantile_position(shares: np.ndarray, q: float) -> np.ndarray:
    """Per row, the continuous bucket position (linear inside a bucket) where the CDF is q."""
    cdf = np.cumsum(shares, axis=1)
    rows = np.arange(len(shares))
    bucket = np.minimum((cdf < q - 1e-12).sum(axis=1), shares.shape[1] - 1)
    below = np.where(bucket > 0, cdf[rows, np.maximum(bucket - 1, 0)], 0.0)
    inside = shares[rows, bucket]
    fraction = np.divide(q - below, inside, out=np.zeros(len(shares)), where=inside > 0)
    return bucket + np.clip(fraction, 0.0, 1.0)


def draw_counts(rng: np.random.Generator, mu: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """A day's counts per bucket for each ``mu`` and slow weight."""
    probabilities = bucket_probabilities(mu, weight)
    clients = rng.integers(CLIENTS[0], CLIENTS[1] + 1, size=len(probabilities))
    return np.stack([rng.multinomial(n, p) for n, p in zip(clients, probabilities, strict=True)])


@dataclass(frozen=True)
class HistogramNoise:
    """The day-to-day sd of the summaries that move, measured on quiet days."""

    mean: float
    p95: float


def measure_noise(rng: np.random.Generator, mu0: float, rho: float) -> HistogramNoise:
    """The sd of the mean and p95 positions over ``QUIET_DAYS`` quiet days."""
    mu = mu0 + DAY_SD * ar1(rng, rho, QUIET_DAYS)
    counts = draw_counts(rng, mu, np.full(QUIET_DAYS, SLOW_WEIGHT))
    shares = counts / counts.sum(axis=1, keepdims=True)
    return HistogramNoise(
        float(mean_position(shares).std(ddof=1)),
        float(quantile_position(shares, 0.95).std(ddof=1)),
    )


def mean_slope(mu0: float) -> float:
    """How fast the expected mean position moves with ``mu`` near ``mu0`` (buckets per unit)."""
    step = 0.05
    shares = bucket_probabilities(np.array([mu0 - step, mu0 + step]), np.full(2, SLOW_WEIGHT))
    low, high = mean_position(shares)
    return float((high - low) / (2 * step))


def tail_weight_change(mu0: float, shift: float) -> float:
    """The increase of the slow weight that moves the expected p95 position by ``shift``."""

    def p95(dw: float) -> float:
        shares = bucket_probabilities(np.array([mu0]), np.array([SLOW_WEIGHT + dw]))
        return float(quantile_position(shares, 0.95)[0])

    base, low, high = p95(0.0), 0.0, 1.0 - SLOW_WEIGHT
    if p95(high) - base < shift:
        raise ValueError(f"a p95 shift of {shift:.3g} buckets is out of reach at mu0={mu0:.3g}")
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if p95(middle) - base < shift else (low, middle)
    return (low + high) / 2


# --- rendering a plan as a series of each family -------------------------------------------


def render_scalar(rng: np.random.Generator, plan: Plan, rho: float) -> tuple[np.ndarray, float]:
    """Level plus AR(1) noise plus the plan's effects; and the noise sd."""
    level, cv = float(rng.uniform(50, 500)), float(rng.uniform(0.005, 0.02))
    sd = level * cv
    return level + sd * (ar1(rng, rho) + plan.location), sd


def render_histogram(
    rng: np.random.Generator, noise_rng: np.random.Generator, plan: Plan, rho: float
) -> tuple[np.ndarray, float]:
    """Daily counts of the mixture with the plan's effects; and the noise sd of what moves."""
    mu0 = float(rng.uniform(2.5, 4.0))
    noise = measure_noise(noise_rng, mu0, rho)
    mu = mu0 + DAY_SD * ar1(rng, rho) + plan.location * noise.mean / mean_slope(mu0)
    weight = np.full(DAYS, SLOW_WEIGHT)
    if plan.tail_start is not None:
        dw = tail_weight_change(mu0, plan.tail_delta * noise.p95)
        weight[plan.tail_start :] += dw
        return draw_counts(rng, mu, weight), noise.p95
    return draw_counts(rng, mu, weight), noise.mean


# --- the set -------------------------------------------------------------------------------


def series_seed(seed: int, family: str, kind: str, number: int) -> np.random.SeedSequence:
    """The seed sequence of one series, independent of how many others there are."""
    key = (FAMILIES.index(family), list(KIND_COUNTS).index(kind), number)
    return np.random.SeedSequence(seed, spawn_key=key)


def make_record(seed: int, family: str, kind: str, number: int) -> Record:
    """Series ``number`` of ``kind`` in ``family``."""
    sequence = series_seed(seed, family, kind, number)
    own_seed = int(sequence.generate_state(1, np.uint64)[0])
    rng = np.random.default_rng(own_seed)
    noise_rng = np.random.default_rng([own_seed, 1])
    rho = RHOS[number % 2]
    plan = Plan()
    PLANS[kind](rng, plan)
    if kind in SEASONAL_SHARE_KINDS and number % 3 == 2:
        add_weekly_pattern(rng, plan)
    if family == "scalar":
        values, sd = render_scalar(rng, plan, rho)
    else:
        values, sd = render_histogram(rng, noise_rng, plan, rho)
    return Record(
        family=family,
        kind=kind,
        number=number,
        values=values,
        labels=tuple(plan.labels),
        seed=own_seed,
        rho=rho,
        noise_sd=sd,
        seasonal_amplitude=plan.seasonal_amplitude,
        spikes=plan.spikes,
    )


def kind_count(kind: str, scale: float) -> int:
    """Series of ``kind`` per family at ``scale`` (at least one)."""
    return max(1, round(KIND_COUNTS[kind] * scale))


def generate(seed: int = REPORTED_SEED, scale: float = 1.0) -> list[Record]:
    """The whole labelled set, scalar family first."""
    return [
        make_record(seed, family, kind, number)
        for family in FAMILIES
        for kind in KIND_COUNTS
        if not (family == "scalar" and kind in HISTOGRAM_ONLY_KINDS)
        for number in range(kind_count(kind, scale))
    ]


def main() -> None:
    """Print how many series and labels each family and kind has."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seed", type=int, default=REPORTED_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    arguments = parser.parse_args()
    records = generate(arguments.seed, arguments.scale)
    series = Counter((r.family, r.kind) for r in records)
    labels = Counter((r.family, r.kind) for r in records for _ in r.labels)
    for (family, kind), count in series.items():
        print(f"{family:9} {kind:11} {count:3} series {labels[family, kind]:3} labels")


if __name__ == "__main__":
    main()
