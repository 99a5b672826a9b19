"""Population segments resolve through [segments] and [segments.data_sources]."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opwatch.config import validate_paths

PROJECT = """\
[project]
metrics = ["crashes"]

[project.population]
data_source = "main"
segments = ["{segment}"]

[metrics.crashes.statistics]
sum = {{}}

[segments.regular]
data_source = "{segment_source}"
select_expression = '{{{{agg_any("is_regular")}}}}'

[segments.data_sources.clients_last_seen]
from_expression = "mozdata.telemetry.clients_last_seen"
window_start = -27

[functions.agg_any]
definition = "COALESCE(LOGICAL_OR({{select_expr}}), FALSE)"
"""


def write(tree: Callable[[str], Path], segment: str, source: str) -> Path:
    return tree(PROJECT.format(segment=segment, segment_source=source))


def test_segment_resolves_with_its_function_expanded(config_tree: Callable[[str], Path]) -> None:
    result = validate_paths([write(config_tree, "regular", "clients_last_seen")])
    assert result.ok, [d.format() for d in result.report]
    segment = result.projects[0].segments["regular"]
    assert segment.select_expression == "COALESCE(LOGICAL_OR(is_regular), FALSE)"
    assert segment.data_source == "clients_last_seen"


def test_undefined_segment(config_tree: Callable[[str], Path]) -> None:
    [error] = validate_paths([write(config_tree, "regulars", "clients_last_seen")]).report.errors
    assert (error.key_path, error.line) == ("project.population.segments", 6)
    assert error.message == 'segment "regulars" is not defined'
    assert error.hint and error.hint.startswith('did you mean "regular"?')


def test_undefined_segment_data_source(config_tree: Callable[[str], Path]) -> None:
    [error] = validate_paths([write(config_tree, "regular", "clients_daily")]).report.errors
    assert (error.key_path, error.line) == ("segments.regular.data_source", 12)
    assert "looked for [segments.data_sources.clients_daily]" in (error.hint or "")
