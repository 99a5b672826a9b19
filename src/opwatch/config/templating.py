"""Expand the Jinja placeholders of SQL snippets: ``{{agg_sum("x")}}`` and ``{{parameters.p}}``.

Functions are defined once (``[functions.agg_sum] definition = "COALESCE(SUM({select_expr}), 0)"``)
and called from snippets as Jinja macros. Rendering is sandboxed and strict: a call to an
undefined function is an error naming it, never an empty string in the SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from opwatch.config.models import FunctionSpec, ParameterSpec

_MARKERS = ("{{", "{%")


@dataclass(frozen=True)
class TemplateProblem(Exception):
    """A snippet that cannot be expanded: what went wrong and the line within the snippet."""

    message: str
    snippet_line: int | None = None
    undefined_name: str | None = None


class SnippetRenderer:
    """Renders snippets with a project's functions and parameters in scope."""

    def __init__(
        self, functions: Mapping[str, FunctionSpec], parameters: Mapping[str, ParameterSpec]
    ) -> None:
        self.functions = dict(functions)
        self._environment = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
        self._globals: dict[str, object] = {
            name: _macro(spec.definition) for name, spec in functions.items()
        }
        self._globals["parameters"] = {
            name: spec.value if spec.value is not None else spec.default
            for name, spec in parameters.items()
        }

    def render(self, snippet: str) -> str:
        """The snippet with every placeholder expanded; raises :class:`TemplateProblem`."""
        if not any(marker in snippet for marker in _MARKERS):
            return snippet
        try:
            template = self._environment.from_string(snippet)
            return template.render(self._globals)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateProblem(f"Jinja syntax error: {error.message}", error.lineno) from None
        except jinja2.UndefinedError as error:
            name = _undefined_name(str(error.message))
            raise TemplateProblem(f"undefined placeholder: {error.message}", None, name) from None
        except (TypeError, jinja2.TemplateError) as error:
            raise TemplateProblem(f"cannot expand the placeholder: {error}") from None


def _macro(definition: str) -> Callable[[str], str]:
    def expand(select_expr: str) -> str:
        return definition.replace("{select_expr}", str(select_expr))

    return expand


def _undefined_name(message: str) -> str | None:
    if message.startswith("'") and "' is undefined" in message:
        return message[1 : message.index("' is undefined")]
    return None
