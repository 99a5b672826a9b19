"""Coverage of the nominal 95 % intervals on hard cases: heavy tails, few clients, ties.

``tests/stats/test_coverage.py`` asserts 93-97 % on the cases the intervals handle (percentiles
of log-normal values, percentiles of mean histograms). This prints the cases the issue on
statistics names as not handled yet, with seeded simulations and a known truth, through the
statistics' own code (the engine's sums give the same intervals to rounding:
tests/pipeline/test_statistics_scalars.py):

- the mean of Pareto(alpha = 3) values (x_m = 1, mean 1.5) at 40 clients;
- the mean of log-normal(0, sigma = 1) values (mean e^0.5) at 1,000 clients, and at 40;
- the median of Poisson(3) counts (median 3) at 500 clients: ties everywhere;
- and, for balance, the mean of exponential values and of normal values at 30 clients.

Run: ``.venv/bin/python benchmarks/coverage.py [--trials N]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from opwatch.stats.intervals import IntervalSettings
from opwatch.stats.registry import ScalarSample, statistic


@dataclass(frozen=True)
class Case:
    """Values drawn for one trial, the statistic asked for and its true value."""

    name: str
    clients: int
    draw: Callable[[np.random.Generator, int], np.ndarray]
    statistic: str
    parameters: dict[str, object]
    truth: float
    parameter: str | None = None
    """The estimate's parameter (the percentile), None for a mean."""


def _lognormal_mean(clients: int) -> Case:
    """The mean of log-normal(0, 1) values (e^0.5) at ``clients`` clients."""
    return Case(
        "mean, log-normal(sigma=1)",
        clients,
        lambda rng, n: rng.lognormal(0.0, 1.0, n),
        "mean",
        {},
        float(np.exp(0.5)),
    )


CASES = (
    Case("mean, Pareto(alpha=3)", 40, lambda rng, n: 1 + rng.pareto(3.0, n), "mean", {}, 1.5),
    _lognormal_mean(1000),
    _lognormal_mean(40),
    Case("mean, exponential", 30, lambda rng, n: rng.exponential(1.0, n), "mean", {}, 1.0),
    Case("mean, normal", 30, lambda rng, n: rng.normal(5.0, 2.0, n), "mean", {}, 5.0),
    Case(
        "median, Poisson(3) counts",
        500,
        lambda rng, n: rng.poisson(3.0, n).astype(np.float64),
        "percentile",
        {"percentiles": [50]},
        3.0,
        "50",
    ),
)
METHODS = ("analytic", "bootstrap")


def covered(case: Case, method: str, trials: int) -> float:
    """Share of ``trials`` whose interval holds the truth."""
    settings = IntervalSettings(method=method, samples=1000, seed=1)  # type: ignore[arg-type]
    computed = statistic(case.statistic, "scalar")
    rng, ids = np.random.default_rng(20261203), np.random.default_rng(6)
    hits = 0
    for trial in range(trials):
        values = case.draw(rng, case.clients)
        clients = ids.integers(0, 2**32, case.clients)  # each trial's own clients' weights
        estimates = computed.estimate(
            ScalarSample(values, clients=clients), case.parameters, settings, settings.rng(trial)
        )
        wanted = next(e for e in estimates if e.parameter == case.parameter)
        if wanted.lower is not None and wanted.upper is not None:
            hits += wanted.lower <= case.truth <= wanted.upper
    return hits / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    arguments = parser.parse_args()
    table = Table(title=f"Coverage of nominal 95 % intervals, {arguments.trials:,} trials each")
    for column in ("case", "clients", *METHODS):
        table.add_column(column, justify="left" if column == "case" else "right")
    for case in CASES:
        found = [covered(case, method, arguments.trials) for method in METHODS]
        table.add_row(case.name, f"{case.clients:,}", *(f"{share:.1%}" for share in found))
    Console().print(table)


if __name__ == "__main__":
    main()
