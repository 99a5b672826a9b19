"""Hashed Poisson-bootstrap weights: the documented integer steps, and Poisson(1) in effect."""

from __future__ import annotations

import hashlib
import math

import numpy as np
from scipy import stats as scipy_stats

from opwatch.stats.replicates import (
    MODULUS,
    client_hash,
    client_hashes,
    poisson_weights,
    seed_word,
    uniform_words,
)


def plain_word(h: int, r: int, seed: int) -> int:
    """The hash's steps with Python's unbounded integers and its remainder."""
    s = int(hashlib.md5(f"opwatch-bootstrap-{seed}".encode()).hexdigest()[:8], 16) % MODULUS
    c = h % MODULUS
    x = (c * 48271 + (r + 1) * 69621 + s) % MODULUS
    x = (x * x + c) % MODULUS
    x = (x * 40692 + r) % MODULUS
    return (x * x + s) % MODULUS


def test_words_are_the_documented_integer_steps() -> None:
    rng = np.random.default_rng(4)
    hashes = [0, 1, MODULUS - 1, MODULUS, MODULUS + 1, 2**32 - 1, *rng.integers(0, 2**32, 300)]
    replicates = [0, 1, 999, 99_999, *rng.integers(0, 100_000, 20)]
    for seed in (0, 1, -7, 2**40):
        words = uniform_words(np.asarray(hashes), np.asarray(replicates), seed)
        expected = [[plain_word(int(h), int(r), seed) for h in hashes] for r in replicates]
        assert words.tolist() == expected
    assert seed_word(3) == client_hash("opwatch-bootstrap-3") % MODULUS
    assert client_hash("abc") == 0x90015098  # MD5("abc") begins 900150983cd24fb0


def test_weights_behave_as_independent_poisson_draws() -> None:
    hashes = client_hashes(f"client-{i}" for i in range(4000))
    weights = poisson_weights(hashes, 500, seed=0)
    assert weights.shape == (500, 4000)
    assert abs(weights.mean() - 1) < 0.005 and abs(weights.var() - 1) < 0.01
    values, counts = np.unique(weights, return_counts=True)
    expected = scipy_stats.poisson.pmf(values, 1.0) * weights.size
    pooled = values >= 5  # chi-square cells with enough expected counts
    observed = np.append(counts[~pooled], counts[pooled].sum())
    wanted = np.append(expected[~pooled], weights.size - expected[~pooled].sum())
    assert scipy_stats.chisquare(observed, wanted).pvalue > 0.001
    # two clients' weights across replicates, and two replicates' across clients: uncorrelated
    by_client = np.corrcoef(weights[:, :200].T)[np.triu_indices(200, 1)]
    assert abs(by_client.mean()) < 0.005
    assert by_client.std() < 1.2 / math.sqrt(500)
    by_replicate = np.corrcoef(weights[:200])[np.triu_indices(200, 1)]
    assert by_replicate.std() < 1.2 / math.sqrt(4000)


def test_the_seed_changes_every_weight_pattern() -> None:
    hashes = client_hashes(f"c{i}" for i in range(1000))
    first, second = poisson_weights(hashes, 200, 0), poisson_weights(hashes, 200, 1)
    assert abs(np.corrcoef(first.ravel(), second.ravel())[0, 1]) < 0.01
    assert np.array_equal(first, poisson_weights(hashes, 200, 0))
