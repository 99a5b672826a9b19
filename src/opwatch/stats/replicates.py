"""Poisson-bootstrap weights from a hash of (client, replicate, seed): the same on every engine.

A Poisson bootstrap gives each client a Poisson(1) weight in each replicate. Drawing the weights
from a random generator ties them to where the clients are read (the order they arrive in,
the process that draws them); drawing them from a hash of the client, the replicate and the
seed makes them a function anyone can evaluate — DuckDB, Spark or BigQuery in SQL next to the
data, or numpy here — with identical results. Only per-(group, replicate) sums then leave the
engine.

The hash uses only what every SQL dialect computes exactly: the first 32 bits of the MD5 of
the client id, and integer additions, multiplications and remainders modulo the prime
``2^31 - 1`` whose products stay below ``2^63`` (no overflow on any engine, no unsigned or
bitwise operations, which the dialects spell differently). Squaring steps make it non-linear:
a linear map would give two clients weights that move together across replicates. The 31-bit
result is read as a uniform number and turned into a Poisson(1) count by comparing it with the
Poisson distribution function scaled to the same integers (:data:`POISSON_THRESHOLDS`), so no
floating-point step can differ between engines either.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import numpy as np

MODULUS = 2**31 - 1
"""The prime the hash works modulo."""
CLIENT_FACTOR, REPLICATE_FACTOR, MIX_FACTOR = 48271, 69621, 40692
"""Multipliers of the hash's linear steps (primitive roots modulo :data:`MODULUS`)."""
LARGEST_WEIGHT = 12
"""Weights are capped here: P(Poisson(1) > 12) is about 1e-10."""


def _thresholds() -> tuple[int, ...]:
    """``round(MODULUS · P(Poisson(1) ≤ k))`` for k = 0 … LARGEST_WEIGHT - 1."""
    found, cumulative, term = [], 0.0, math.exp(-1.0)
    for k in range(LARGEST_WEIGHT):
        cumulative += term
        term /= k + 1
        found.append(round(MODULUS * cumulative))
    return tuple(found)


POISSON_THRESHOLDS = _thresholds()
"""A uniform integer ``x`` in [0, MODULUS) has weight ``k`` where it lies between the
``k-1``-th and ``k``-th threshold: the weight is the number of thresholds ≤ ``x``."""


def client_hash(client_id: str) -> int:
    """The first 32 bits of the MD5 of the client id, as an integer (SQL: the first eight hex
    digits of ``md5(client_id)``)."""
    return int(hashlib.md5(client_id.encode()).hexdigest()[:8], 16)


def client_hashes(client_ids: Iterable[str]) -> np.ndarray:
    """:func:`client_hash` of each client id."""
    return np.fromiter((client_hash(each) for each in client_ids), dtype=np.int64)


def seed_word(seed: int) -> int:
    """The project's seed as the hash's constant in [0, MODULUS): any integer seed, spread."""
    return client_hash(f"opwatch-bootstrap-{seed}") % MODULUS


def uniform_words(hashes: np.ndarray, replicates: np.ndarray, seed: int) -> np.ndarray:
    """The hash of each (client, replicate): integers in [0, MODULUS), replicates x clients.

    The steps, which the SQL template ``bootstrap_weights`` spells the same way::

        c = h mod M
        x = (c · 48271 + (r + 1) · 69621 + s) mod M
        x = (x · x + c) mod M
        x = (x · 40692 + r) mod M
        x = (x · x + s) mod M
    """
    c = _modulo(np.asarray(hashes, dtype=np.uint64))[None, :]
    r = np.asarray(replicates, dtype=np.uint64)[:, None]
    s = np.uint64(seed_word(seed))
    x = _modulo(c * np.uint64(CLIENT_FACTOR) + (r + np.uint64(1)) * np.uint64(REPLICATE_FACTOR) + s)
    x = _modulo(x * x + c)
    x = _modulo(x * np.uint64(MIX_FACTOR) + r)
    return _modulo(x * x + s).astype(np.int64)


_LOW_BITS, _SHIFT = np.uint64(MODULUS), np.uint64(31)


def _modulo(x: np.ndarray) -> np.ndarray:
    """``x mod (2^31 - 1)``, in place, for the hash's values (below ``(M - 1)² + M``): one
    fold of the high bits onto the low ones (``2^31 ≡ 1``) leaves less than ``2M``, and one
    conditional subtraction finishes — several times faster in numpy than its remainder."""
    high = x >> _SHIFT
    np.bitwise_and(x, _LOW_BITS, out=x)
    x += high
    np.subtract(x, _LOW_BITS, out=x, where=x >= _LOW_BITS)
    return x


def poisson_weights(hashes: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """Poisson(1) weights of clients (by :func:`client_hash`) in replicates 0 …
    ``replicates - 1``: replicates x clients, as floats for matrix products.

    Computed a block of replicates at a time: numpy's passes over arrays that fit in the
    processor's caches run several times faster than over one large array.
    """
    hashes = np.asarray(hashes)
    weights = np.empty((replicates, hashes.size))
    thresholds = np.asarray(POISSON_THRESHOLDS, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(hashes.size, 1))
    for start in range(0, replicates, step):
        end = min(start + step, replicates)
        words = uniform_words(hashes, np.arange(start, end), seed)
        weights[start:end] = np.searchsorted(thresholds, words, side="right")
    return weights


BLOCK_CELLS = 65_536
"""Weights computed at once by :func:`poisson_weights`."""


def hash_constants(seed: int, replicates: int) -> dict[str, object]:
    """Everything an engine's SQL needs to compute the same weights (template
    ``bootstrap_weights``): the modulus, the multipliers, the seed's word, the thresholds and
    the number of replicates."""
    return {
        "modulus": MODULUS,
        "client_factor": CLIENT_FACTOR,
        "replicate_factor": REPLICATE_FACTOR,
        "mix_factor": MIX_FACTOR,
        "seed_word": seed_word(seed),
        "thresholds": POISSON_THRESHOLDS,
        "replicates": replicates,
    }
