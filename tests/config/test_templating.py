"""Jinja placeholders in snippets expand with the project's functions and parameters."""

from __future__ import annotations

import pytest

from opwatch.config.models import FunctionSpec, ParameterSpec
from opwatch.config.templating import SnippetRenderer, TemplateProblem


def renderer() -> SnippetRenderer:
    return SnippetRenderer(
        {"agg_sum": FunctionSpec(definition="COALESCE(SUM({select_expr}), 0)")},
        {"days": ParameterSpec(value=7), "fallback": ParameterSpec(default="x")},
    )


def test_function_call_expands_its_definition() -> None:
    assert renderer().render('{{agg_sum("a + b")}} / 2') == "COALESCE(SUM(a + b), 0) / 2"


def test_parameters_expand_value_then_default() -> None:
    assert renderer().render("{{ parameters.days }}-{{ parameters.fallback }}") == "7-x"


def test_plain_sql_is_returned_untouched() -> None:
    assert renderer().render("SUM(x) -- {not jinja}") == "SUM(x) -- {not jinja}"


def test_undefined_function_names_it() -> None:
    with pytest.raises(TemplateProblem) as caught:
        renderer().render('{{agg_mean("x")}}')
    assert caught.value.undefined_name == "agg_mean"


def test_syntax_error_gives_the_line() -> None:
    with pytest.raises(TemplateProblem) as caught:
        renderer().render('SUM(x)\n+ {{agg_sum("x"}}')
    assert caught.value.snippet_line == 2
    assert caught.value.message.startswith("Jinja syntax error")
