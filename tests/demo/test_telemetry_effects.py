"""The planted effects are in the data, with about their configured size.

Each check recomputes means from the rows the generator wrote, so it tests the data rather
than the generator's parameters.
"""

from __future__ import annotations

from opwatch.demo.telemetry import GeneratedData, PlantedEffects
from tests.demo.conftest import CORPUS_SPEC, rows

EFFECTS = PlantedEffects()


def sample_sum(histogram: str) -> str:
    """SQL: the sum of a legacy histogram's samples."""
    return f"CAST(json_extract({histogram}, '$.sum') AS DOUBLE)"


def sample_count(histogram: str) -> str:
    """SQL: the number of a legacy histogram's samples."""
    values = f"CAST(json_extract({histogram}, '$.values') AS MAP(VARCHAR, BIGINT))"
    return f"list_sum(map_values({values}))"


def ratio(means: list[tuple[object, ...]]) -> float:
    """Mean of the ``TRUE`` group over mean of the ``FALSE`` group."""
    by_group = {group: float(mean) for group, mean in means}  # type: ignore[arg-type]
    return by_group[True] / by_group[False]


def mean_sample(histogram: str) -> str:
    """SQL: the mean sample of legacy histograms, over a group of rows."""
    return f"sum({sample_sum(histogram)}) / sum({sample_count(histogram)})"


def gc_ratio(data: GeneratedData, after_regression: bool) -> float:
    """Treatment's mean gc_ms sample over control's, before or after the regression start."""
    histogram = "payload.histograms.gc_ms"
    branch = "list_filter(environment.experiments, lambda e: e.key = 'opwatch-demo')[1].value"
    period = f"submission_timestamp::DATE >= DATE '{CORPUS_SPEC.regression_start}'"
    query = f"""
        SELECT {branch}.branch = 'treatment', {mean_sample(histogram)}
        FROM {{main}}
        WHERE {histogram} IS NOT NULL AND {branch} IS NOT NULL AND ({period}) = {after_regression}
        GROUP BY 1
    """
    return ratio(rows(data, query))


def test_regressing_branch_gc_grows_by_the_factor(corpus_data: GeneratedData) -> None:
    assert abs(gc_ratio(corpus_data, after_regression=False) - 1) < 0.1
    assert abs(gc_ratio(corpus_data, after_regression=True) - EFFECTS.regression_factor) < 0.12


def test_dimension_os_crashes_twice_as_often(corpus_data: GeneratedData) -> None:
    query = f"""
        SELECT os = '{EFFECTS.dimension_os}', count(*) / any_value(client_days)
        FROM {{crash}} AS crash
        JOIN (SELECT os, count(*) AS client_days FROM {{clients_daily}} GROUP BY os) AS days
            ON days.os = crash.normalized_os
        WHERE payload.metadata.background_task_name IS NULL
        GROUP BY os
    """
    rates = rows(corpus_data, query)
    dimension = [float(rate) for is_dimension, rate in rates if is_dimension]  # type: ignore[arg-type]
    others = [float(rate) for is_dimension, rate in rates if not is_dimension]  # type: ignore[arg-type]
    assert len(others) == 2 and all(1.6 < dimension[0] / other < 2.5 for other in others)


def test_dimension_os_visits_fewer_uris(corpus_data: GeneratedData) -> None:
    uri_count = "payload.processes.parent.scalars.browser_engagement_total_uri_count"
    is_dimension = f"normalized_os = '{EFFECTS.dimension_os}'"
    query = f"SELECT {is_dimension}, avg({uri_count}) FROM {{main}} GROUP BY 1"
    assert 0.5 < ratio(rows(corpus_data, query)) < 0.72


def test_builds_from_the_shift_use_more_memory(corpus_data: GeneratedData) -> None:
    histogram = "payload.histograms.memory_total"
    shift = CORPUS_SPEC.build_shift_from.strftime("%Y%m%d")
    query = f"""
        SELECT application.build_id >= '{shift}', {mean_sample(histogram)}
        FROM {{main}} WHERE {histogram} IS NOT NULL GROUP BY 1
    """
    assert abs(ratio(rows(corpus_data, query)) - EFFECTS.build_shift_factor) < 0.1


def test_slow_country_has_slower_network(corpus_data: GeneratedData) -> None:
    dns = "metrics.timing_distribution.networking_dns_lookup_time"
    query = f"""
        SELECT metadata.geo.country = '{EFFECTS.slow_country}', sum({dns}.sum) / sum({dns}.count)
        FROM {{fenix_metrics}} GROUP BY 1
    """
    assert abs(ratio(rows(corpus_data, query)) - EFFECTS.slow_country_factor) < 0.25
