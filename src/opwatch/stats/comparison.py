"""Branch comparisons: each branch's estimate against the reference branch's.

The difference ``branch - reference`` and the relative difference ``(branch - reference) /
reference``. Branches are independent samples of clients, so bootstrap replicates of the two
are combined draw by draw; analytic estimates combine standard errors (the delta method for
the relative difference). An estimate without either (a count) gets the point only.
"""

from __future__ import annotations

import numpy as np

from opwatch.stats.intervals import Estimate, IntervalSettings, from_draws, from_se

DIFFERENCE = "difference"
RELATIVE_DIFFERENCE = "relative_difference"


def compare(
    branch: Estimate, reference: Estimate, settings: IntervalSettings
) -> dict[str, Estimate]:
    """The difference and relative difference of ``branch`` to ``reference``."""
    parameter = branch.parameter
    difference = branch.point - reference.point
    relative = difference / reference.point if reference.point != 0 else float("nan")
    if branch.draws is not None and reference.draws is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            relative_draws = (branch.draws - reference.draws) / reference.draws
        return {
            DIFFERENCE: from_draws(parameter, difference, branch.draws - reference.draws, settings),
            RELATIVE_DIFFERENCE: from_draws(parameter, relative, relative_draws, settings),
        }
    branch_se, reference_se = _se(branch, settings), _se(reference, settings)
    if branch_se is None or reference_se is None:
        return {
            DIFFERENCE: Estimate(parameter, difference),
            RELATIVE_DIFFERENCE: Estimate(parameter, relative),
        }
    se = float(np.hypot(branch_se, reference_se))
    relative_se = (
        float(
            np.hypot(branch_se / reference.point, branch.point * reference_se / reference.point**2)
        )
        if reference.point != 0
        else float("nan")
    )
    return {
        DIFFERENCE: from_se(parameter, difference, se, settings),
        RELATIVE_DIFFERENCE: from_se(parameter, relative, relative_se, settings),
    }


def _se(estimate: Estimate, settings: IntervalSettings) -> float | None:
    """The estimate's standard error, from its replicates when it was bootstrapped."""
    if estimate.se is not None:
        return estimate.se
    if estimate.draws is not None:
        finite = estimate.draws[np.isfinite(estimate.draws)]
        return float(finite.std(ddof=1)) if finite.size > 1 else None
    return None
