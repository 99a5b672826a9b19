"""Branch comparisons: each branch's estimate against the reference branch's.

The difference ``branch - reference`` and the relative difference ``(branch - reference) /
reference``. Branches are independent samples of clients, so bootstrap replicates of the two
are combined draw by draw; analytic estimates combine standard errors (the delta method for
the relative difference). An estimate without either (a count) gets the point only.
"""

from __future__ import annotations

import math

import numpy as np

from opwatch.stats.intervals import Estimate, IntervalSettings, from_draws_many, from_se

DIFFERENCE = "difference"
RELATIVE_DIFFERENCE = "relative_difference"


def compare(
    branch: Estimate, reference: Estimate, settings: IntervalSettings
) -> dict[str, Estimate]:
    """The difference and relative difference of ``branch`` to ``reference``."""
    return dict(compare_all([branch], {reference.parameter: reference}, settings))


def compare_all(
    branch: list[Estimate],
    reference: dict[str | None, Estimate],
    settings: IntervalSettings,
) -> list[tuple[str, Estimate]]:
    """Comparisons of every estimate of ``branch`` whose parameter the reference has.

    Bootstrapped pairs are compared together (one quantile computation for all of them).
    """
    paired = [(e, reference[e.parameter]) for e in branch if e.parameter in reference]
    resampled = [(b, r) for b, r in paired if b.draws is not None and r.draws is not None]
    results = _from_draws(resampled, settings) if resampled else []
    for b, r in paired:
        if b.draws is None or r.draws is None:
            results += _from_standard_errors(b, r, settings)
    return results


def _from_draws(
    pairs: list[tuple[Estimate, Estimate]], settings: IntervalSettings
) -> list[tuple[str, Estimate]]:
    branch = np.stack([b.draws for b, _ in pairs if b.draws is not None])
    reference = np.stack([r.draws for _, r in pairs if r.draws is not None])
    points = np.asarray([b.point for b, _ in pairs])
    bases = np.asarray([r.point for _, r in pairs])
    names = [b.parameter for b, _ in pairs]
    with np.errstate(invalid="ignore", divide="ignore"):
        relative_points = np.where(bases != 0, (points - bases) / bases, np.nan)
        relative_draws = (branch - reference) / reference
    differences = from_draws_many(names, points - bases, branch - reference, settings)
    relatives = from_draws_many(names, relative_points, relative_draws, settings)
    return [(DIFFERENCE, d) for d in differences] + [(RELATIVE_DIFFERENCE, r) for r in relatives]


def _from_standard_errors(
    branch: Estimate, reference: Estimate, settings: IntervalSettings
) -> list[tuple[str, Estimate]]:
    parameter = branch.parameter
    difference = branch.point - reference.point
    relative = difference / reference.point if reference.point != 0 else math.nan
    branch_se, reference_se = _se(branch), _se(reference)
    if branch_se is None or reference_se is None:
        return [
            (DIFFERENCE, Estimate(parameter, difference)),
            (RELATIVE_DIFFERENCE, Estimate(parameter, relative)),
        ]
    se = math.hypot(branch_se, reference_se)
    relative_se = (
        math.hypot(branch_se / reference.point, branch.point * reference_se / reference.point**2)
        if reference.point != 0
        else math.nan
    )
    return [
        (DIFFERENCE, from_se(parameter, difference, se, settings)),
        (RELATIVE_DIFFERENCE, from_se(parameter, relative, relative_se, settings)),
    ]


def _se(estimate: Estimate) -> float | None:
    """The estimate's standard error, from its replicates when it was bootstrapped."""
    if estimate.se is not None:
        return estimate.se
    if estimate.draws is not None:
        finite = estimate.draws[np.isfinite(estimate.draws)]
        return float(finite.std(ddof=1)) if finite.size > 1 else None
    return None
