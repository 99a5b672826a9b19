"""Seeded series for the detection tests: noise, planted steps, histograms of a log-normal."""

from __future__ import annotations

import numpy as np

EDGES = np.geomspace(1, 10_000, 31)


def noise(seed: int, length: int = 90, level: float = 100.0, sd: float = 1.0) -> np.ndarray:
    """Independent normal noise around ``level``."""
    return np.random.default_rng(seed).normal(level, sd, length)


def step(seed: int, at: int, size: float, length: int = 90) -> np.ndarray:
    """Noise (sd 1) with the level moving by ``size`` from position ``at`` on."""
    values = noise(seed, length)
    values[at:] += size
    return values


def histograms(seed: int, mus: np.ndarray, clients: int = 3000) -> np.ndarray:
    """One histogram of ``clients`` log-normal(mu, 1) values per ``mu``, counts per bucket of
    exponential edges from 1 to 10000 (outside values in the end buckets)."""
    rng = np.random.default_rng(seed)
    rows = []
    for mu in mus:
        values = np.clip(rng.lognormal(mu, 1.0, clients), EDGES[0], EDGES[-1] * 0.999)
        rows.append(np.histogram(values, bins=EDGES)[0])
    return np.asarray(rows, dtype=float)


def daily_mus(seed: int, length: int = 90, sd: float = 0.02) -> np.ndarray:
    """Day-to-day variation of the log-mean around 3."""
    return 3.0 + np.random.default_rng(seed + 10_000).normal(0.0, sd, length)
