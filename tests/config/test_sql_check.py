"""Snippets parse as BigQuery SQL; errors point into the snippet itself."""

from __future__ import annotations

import pytest

from opwatch.config.sql_check import SnippetKind, check_snippet

VALID = [
    ("COUNTIF(metrics.string.ping_type = 'cfr')", SnippetKind.EXPRESSION),
    ("SAFE.SUBSTR(application.build_id, 0, 8)", SnippetKind.EXPRESSION),
    (
        "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_ms) IGNORE NULLS)",
        SnippetKind.EXPRESSION,
    ),
    ("mozdata.telemetry.main_1pct", SnippetKind.FROM),
    ("`moz-fx-data-shared-prod.telemetry.events`", SnippetKind.FROM),
    ("(\n  SELECT a,\n  FROM t\n)", SnippetKind.FROM),  # BigQuery's trailing comma
]


@pytest.mark.parametrize(("snippet", "kind"), VALID)
def test_valid_snippets_parse(snippet: str, kind: SnippetKind) -> None:
    assert check_snippet(snippet, kind) is None


def test_error_line_and_column_are_the_snippets_own() -> None:
    problem = check_snippet("a\n+ SUM(b", SnippetKind.EXPRESSION)
    assert problem is not None
    assert (problem.line, problem.column, problem.message) == (2, 7, "Expecting )")


def test_from_error_is_placed_in_the_snippet() -> None:
    problem = check_snippet("(\n  SELECT *\n  FROM t WHERE\n)", SnippetKind.FROM)
    assert problem is not None
    assert problem.line == 4
    assert problem.message == "incomplete WHERE clause or operator"


def test_whole_query_is_not_an_expression() -> None:
    problem = check_snippet("SELECT 1", SnippetKind.EXPRESSION)
    assert problem is not None and "whole query" in problem.message


def test_empty_snippet_is_an_error() -> None:
    problem = check_snippet("  ", SnippetKind.EXPRESSION)
    assert problem is not None and problem.message == "the SQL snippet is empty"
