"""Conformance tests: opwatch checked against test vectors kept as data in ``vectors/``.

The expected values never come from opwatch: they are copied from Mozilla's own tests and from
bucket keys of real telemetry (each vector names its source), or computed by hand from a
published definition (such vectors say so and show the arithmetic).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parent / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    """The vectors of ``vectors/<name>.json``: a list of objects with distinct ``name``s."""
    vectors: list[dict[str, Any]] = json.loads((VECTORS / f"{name}.json").read_text("utf-8"))
    names = [vector["name"] for vector in vectors]
    if len(set(names)) != len(names):
        raise ValueError(f"{name}.json: vector names are not distinct")
    return vectors


def cases(vectors: list[dict[str, Any]], *keys: str) -> list[Any]:
    """The vectors that have all of ``keys``, as pytest parameters named after the vectors."""
    return [pytest.param(v, id=v["name"]) for v in vectors if all(key in v for key in keys)]


def exact(value: str | float) -> float:
    """A vector's number: a JSON number, or an exact fraction written ``"numerator/denominator"``
    (so that 1/3 is stored exactly and rounded once, here)."""
    return float(Fraction(value)) if isinstance(value, str) else float(value)
