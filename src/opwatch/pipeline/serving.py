"""The serving copy of a project's statistics, published after a run writes them.

The dashboards read a chart's series (one metric, statistic and parameter, the branches or
their comparisons, one value per dimension, along the x-axis) from a copy of the statistics
laid out for that read (docs/architecture.md, "Serving"); this says how a statistics table's
copy is laid out, the engine writes it.
"""

from __future__ import annotations

from opwatch.config.resolved import Project, result_table
from opwatch.engines.base import Engine
from opwatch.pipeline.statistics_rows import PACKED_LISTS


def serving_order(dimensions: tuple[str, ...]) -> tuple[str, ...]:
    """The order of a statistics table's serving copy: a chart's series — one metric,
    statistic and parameter, the branches or their comparisons, one value per dimension,
    along the x-axis — is a contiguous run of rows."""
    order = ("metric", "statistic", "parameter", "comparison", *dimensions, "branch")
    return (*order, "submission_date", "build_id")


def publish_serving(engine: Engine, project: Project) -> None:
    """Publish the serving copy of ``project``'s statistics (when they changed), in
    :func:`serving_order`, with the dimensions' and branches' values counted for the
    dashboard's controls. A build-id dashboard reads the latest day only (it holds every
    build of the window). The packed percentiles are rows in the copy: a chart's read of one
    of them filters rows by parameter instead of opening every group's lists."""
    dimensions = tuple(project.population.dimensions)
    engine.results.write_serving(
        result_table(project.slug, "statistics"),
        order_by=serving_order(dimensions),
        facets=(*dimensions, "branch"),
        latest_only=project.xaxis == "build_id",
        packed=PACKED_LISTS,
    )
