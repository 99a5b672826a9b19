"""Branch comparisons: each branch's values against the reference branch's.

The difference ``branch - reference`` and the relative difference ``(branch - reference) /
reference``, for every parameter both branches have. Branches are independent samples of
clients, so bootstrap replicates of the two are combined draw by draw; analytic values combine
standard errors (the delta method for the relative difference). Values without either (a count)
get the point only.
"""

from __future__ import annotations

import numpy as np

from opwatch.stats.intervals import Estimates, IntervalSettings, from_draws, from_se, no_interval

DIFFERENCE = "difference"
RELATIVE_DIFFERENCE = "relative_difference"


def compare(
    branch: Estimates, reference: Estimates, settings: IntervalSettings
) -> dict[str, Estimates]:
    """The difference and relative difference of ``branch`` to ``reference``, for the
    parameters both have (in ``branch``'s order)."""
    position = {parameter: index for index, parameter in enumerate(reference.parameters)}
    mine = np.asarray([i for i, p in enumerate(branch.parameters) if p in position], np.int64)
    theirs = np.asarray([position[branch.parameters[i]] for i in mine], np.int64)
    branch, reference = branch.take(mine), reference.take(theirs)
    names = branch.parameters
    difference = branch.points - reference.points
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(reference.points != 0, difference / reference.points, np.nan)
    if branch.draws is not None and reference.draws is not None:
        with np.errstate(invalid="ignore", divide="ignore"):  # replicates may be inf or NaN
            difference_draws = branch.draws - reference.draws
            relative_draws = difference_draws / reference.draws
        return {
            DIFFERENCE: from_draws(names, difference, difference_draws, settings),
            RELATIVE_DIFFERENCE: from_draws(names, relative, relative_draws, settings),
        }
    branch_se, reference_se = _se(branch), _se(reference)
    if branch_se is None or reference_se is None:
        return {
            DIFFERENCE: no_interval(names, difference),
            RELATIVE_DIFFERENCE: no_interval(names, relative),
        }
    with np.errstate(invalid="ignore", divide="ignore"):
        relative_se = np.hypot(
            branch_se / reference.points, branch.points * reference_se / reference.points**2
        )
    return {
        DIFFERENCE: from_se(names, difference, np.hypot(branch_se, reference_se), settings),
        RELATIVE_DIFFERENCE: from_se(names, relative, relative_se, settings),
    }


def _se(estimates: Estimates) -> np.ndarray | None:
    """Standard errors, from the replicates when the values were bootstrapped."""
    if estimates.se is not None:
        return estimates.se
    if estimates.draws is not None and estimates.draws.shape[1] > 1:
        finite = np.where(np.isfinite(estimates.draws), estimates.draws, np.nan)
        with np.errstate(invalid="ignore"):
            return np.asarray(np.nanstd(finite, axis=1, ddof=1))
    return None
