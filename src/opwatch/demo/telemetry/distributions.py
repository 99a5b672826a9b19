"""How a probe's values are drawn: a few shapes that cover timings, sizes, counts and flags.

Timings and memory sizes are log-normal (long right tails, as measured in the field); small
counts and percentages are skewed uniforms; flags are Bernoulli; enumerations pick among a few
weighted values. The templates turn each shape into SQL over uniform variates, so the numbers
here are the only knobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LOGNORMAL, UNIFORM, BERNOULLI, CHOICE = "lognormal", "uniform", "bernoulli", "choice"


def cumulative(weights: Mapping[Any, float]) -> tuple[tuple[float, Any], ...]:
    """(cumulative probability, value) pairs of ``weights`` (value → relative weight).

    The last probability is exactly 1, so a uniform variate always finds its value.
    """
    total = sum(weights.values())
    pairs, running = [], 0.0
    for value, weight in weights.items():
        running += weight / total
        pairs.append((running, value))
    pairs[-1] = (1.0, pairs[-1][1])
    return tuple(pairs)


@dataclass(frozen=True)
class Distribution:
    """A value distribution; read the fields through the constructor that fits its kind."""

    kind: str
    center: float = 0.0
    """Median (log-normal) or probability (Bernoulli)."""
    spread: float = 0.0
    """Log-scale standard deviation (log-normal) or skew exponent (uniform)."""
    low: int = 0
    high: int = 0
    choices: tuple[tuple[float, float], ...] = ()
    """(cumulative probability, value) pairs of a choice, the last at probability 1."""

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> Distribution:
        """``median * exp(sigma * N(0, 1))``: timings, sizes, counts of activity."""
        return cls(LOGNORMAL, center=median, spread=sigma)

    @classmethod
    def uniform(cls, low: int, high: int, skew: float = 1.0) -> Distribution:
        """An integer in ``low … high``; ``skew`` > 1 favours small values (``u ** skew``)."""
        return cls(UNIFORM, spread=skew, low=low, high=high)

    @classmethod
    def bernoulli(cls, probability: float) -> Distribution:
        """1 with ``probability``, else 0."""
        return cls(BERNOULLI, center=probability)

    @classmethod
    def choice(cls, weights: dict[float, float]) -> Distribution:
        """One of the keys of ``weights`` (value → relative weight)."""
        return cls(CHOICE, choices=cumulative(weights))
