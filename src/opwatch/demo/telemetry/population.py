"""Who the clients are: the fixed attributes of each application's population.

A client's os, channel, country, hardware, activity and enrollments never change; its build
does (it updates some days after each release of its channel). Fixed attributes come from
stratified variates: ``frac(offset + index * alpha)`` with a different irrational ``alpha`` per
attribute (a Kronecker sequence). Unlike independent hashes, they spread evenly even in small
populations and in thin slices of them (the 1 % of ``sample_id = 0`` that some configs read,
split over five branches), while still being uncorrelated with each other. ``sample_id`` is
``index % 100``, so each sample holds exactly 1 % of the clients (a few thousand clients are
enough for every branch of such a slice to have some). Daily behaviour (activity,
measurements) uses hashes of (seed, client, day, ...).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

ENROLLMENT_SHARE = 0.6
"""Share of an application's clients each experiment or rollout enrolls."""
ROLLOUT_BRANCH = "rollout"
EPOCH_RELEASE = (19115, 100)
"""(days since 1970-01-01, major version): Firefox 100 shipped on 2022-05-03; one major
version every 28 days since."""


@dataclass(frozen=True)
class Channel:
    """An update channel: its share, release cadence and how versions are written there."""

    name: str
    weight: float
    cadence_days: int
    max_update_lag_days: int
    build_time: str
    """HHMMSS of the channel's builds."""
    version_offset: int
    """Major versions ahead of release (nightly is 2 ahead) or behind (ESR)."""


@dataclass(frozen=True)
class Application:
    """One application's population: channels, operating systems, countries and devices."""

    name: str
    channels: tuple[Channel, ...]
    countries: Mapping[str, float]
    operating_systems: tuple[tuple[str, float, str, str], ...]
    """(normalized name, weight, raw name, version)."""
    devices: Mapping[str, float] = field(default_factory=dict)
    """``manufacturer|model`` → weight (mobile applications)."""


DESKTOP_APP = Application(
    "desktop",
    (
        Channel("release", 70, 14, 10, "185432", 0),
        Channel("beta", 12, 3, 4, "091250", 1),
        Channel("nightly", 10, 1, 2, "094512", 2),
        Channel("esr", 5, 28, 14, "170105", -12),
        Channel("aurora", 3, 2, 3, "110312", 1),
    ),
    {"US": 30, "DE": 10, "FR": 7, "IN": 7, "GB": 6, "BR": 6, "KE": 5, "CA": 5, "JP": 5,
     "PL": 4, "IT": 4, "ES": 4, "RU": 4, "CN": 3},
    (("Windows", 65, "Windows_NT", "10.0"), ("Mac", 20, "Darwin", "23.6.0"),
     ("Linux", 15, "Linux", "6.8.0")),
)  # fmt: skip
FENIX_APP = Application(
    "fenix",
    (
        Channel("release", 85, 7, 6, "150000", 0),
        Channel("beta", 10, 3, 3, "130000", 1),
        Channel("nightly", 5, 1, 1, "090000", 2),
    ),
    {"US": 35, "KE": 12, "IN": 10, "DE": 8, "BR": 7, "FR": 6, "GB": 5, "ID": 5, "NG": 4,
     "MX": 4, "CA": 4},
    (("Android", 100, "Android", "14"),),
    {"samsung|SM-A515F": 20, "samsung|SM-S911B": 10, "Google|Pixel 7": 10,
     "Xiaomi|Redmi Note 12": 15, "TECNO|TECNO KI5k": 10, "motorola|moto g(30)": 10,
     "OnePlus|CPH2449": 5, "infinix|X6525": 10, "HUAWEI|VOG-L29": 10},
)  # fmt: skip
IOS_APP = Application(
    "firefox_ios",
    (Channel("release", 90, 14, 7, "120000", 0), Channel("beta", 10, 7, 3, "120000", 1)),
    {"US": 40, "GB": 10, "DE": 10, "FR": 8, "CA": 8, "KE": 4, "JP": 8, "AU": 6, "IT": 6},
    (("iOS", 100, "iOS", "18.1"),),
    {"Apple|iPhone15,2": 30, "Apple|iPhone14,5": 30, "Apple|iPhone16,1": 25, "Apple|iPad13,4": 15},
)  # fmt: skip
CPU_CORES = {2: 10, 4: 35, 6: 15, 8: 25, 12: 8, 16: 7}
LOCALES = {"en-US": 45, "de": 12, "fr": 9, "es-ES": 7, "pt-BR": 6, "en-GB": 6, "ja": 5,
           "pl": 4, "it": 3, "ru": 3}  # fmt: skip
ATTRIBUTES = ("channel", "os", "country", "cores", "locale", "activity", "lag", "fission",
              "memory", "device", "created")  # fmt: skip
"""Fixed attributes drawn from stratified variates, in the order their alphas are taken."""


@dataclass(frozen=True)
class Variate:
    """A stratified variate: ``frac(offset + index * alpha)``."""

    offset: float
    alpha: float


def variates(seed: int, names: tuple[str, ...]) -> dict[str, Variate]:
    """A variate per name: offsets from the seed, alphas from square roots of primes."""
    return {
        name: Variate(_seeded_unit(seed, name), alpha)
        for name, alpha in zip(names, _alphas(), strict=False)
    }


def experiment_variates(
    seed: int, application: str, experiments: Mapping[str, tuple[str, ...]]
) -> dict[str, Variate]:
    """One variate per slug, independent of the attributes and of the other slugs.

    A client is enrolled when its variate is under :data:`ENROLLMENT_SHARE`, and its branch is
    where in that interval it falls: one variate for both keeps the branches of a thin slice
    of clients (one sample, one channel) as balanced as the slice itself.
    """
    names = tuple(f"{application}:{slug}" for slug in experiments)
    drawn = variates(seed, ATTRIBUTES + names)
    return {slug: drawn[f"{application}:{slug}"] for slug in experiments}


def experiment_branches(branches: tuple[str, ...]) -> tuple[str, ...]:
    """The branches clients are split over: a rollout's enrolled clients share one."""
    return branches or (ROLLOUT_BRANCH,)


def _seeded_unit(seed: int, name: str) -> float:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _alphas() -> Iterator[float]:
    """Fractional parts of square roots of primes that spread well, overall and within one
    ``sample_id`` (every 100th client, i.e. steps of ``100 * alpha``): those whose first
    continued-fraction terms are small (a large term means a near-periodic sequence)."""
    for prime in _primes():
        alpha = math.sqrt(prime) % 1.0
        if max(_partial_quotients(alpha) + _partial_quotients(100 * alpha % 1.0)) <= 4:
            yield alpha


def _partial_quotients(value: float, count: int = 3) -> list[int]:
    terms = []
    for _ in range(count):
        value = 1.0 / value
        terms.append(math.floor(value))
        value -= math.floor(value)
        if value < 1e-12:
            break
    return terms


def _primes() -> Iterator[int]:
    candidate = 2
    while True:
        if all(candidate % p for p in range(2, math.isqrt(candidate) + 1)):
            yield candidate
        candidate += 1
