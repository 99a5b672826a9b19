"""Expand and parse one SQL snippet of a configuration, reporting problems where they are written.

A snippet is first expanded (Jinja functions and parameters, then ``{dataset}``), then parsed as
BigQuery SQL. A syntax error in a snippet that had no placeholders is reported at its exact line
in the TOML file; after expansion the line within the expanded SQL is quoted instead.
"""

from __future__ import annotations

from collections.abc import Callable

from opwatch.config.diagnostics import Diagnostic, did_you_mean
from opwatch.config.merge import LayerStack
from opwatch.config.sql_check import SnippetKind, SqlProblem, check_snippet
from opwatch.config.templating import SnippetRenderer, TemplateProblem

Path_ = tuple[str, ...]


class SnippetChecker:
    """Expands and checks the snippets of one project, collecting diagnostics."""

    def __init__(
        self, stack: LayerStack, renderer: SnippetRenderer, report: Callable[[Diagnostic], None]
    ) -> None:
        self.stack = stack
        self.renderer = renderer
        self.report = report

    def expand(
        self, path: Path_, snippet: str, kind: SnippetKind, dataset: str | None = None
    ) -> str | None:
        """The expanded, syntax-checked snippet, or None after reporting why it is unusable."""
        try:
            expanded = self.renderer.render(snippet)
        except TemplateProblem as template_problem:
            self.report(self._template_diagnostic(path, snippet, template_problem))
            return None
        if "{dataset}" in expanded:
            if dataset is None:
                self.report(
                    self.stack.diagnostic(
                        path,
                        "the snippet uses {dataset} but the data source has no default_dataset",
                        'add default_dataset = "<dataset>" to the data source',
                    )
                )
                return None
            expanded = expanded.replace("{dataset}", dataset)
        sql_problem = check_snippet(expanded, kind)
        if sql_problem is not None:
            self.report(self._sql_diagnostic(path, snippet, expanded, sql_problem))
            return None
        return expanded

    def _template_diagnostic(
        self, path: Path_, snippet: str, problem: TemplateProblem
    ) -> Diagnostic:
        if problem.undefined_name is not None:
            name = problem.undefined_name
            files = [str(f.path) for f in self.stack.files() if f.data.get("functions")]
            hint = did_you_mean(name, self.renderer.functions) or ""
            looked = ", ".join(files) if files else "no file defines [functions]"
            return self.stack.diagnostic(
                path,
                f'undefined function "{name}" in the snippet',
                f"{hint + ' ' if hint else ''}functions are looked up in: {looked}".strip(),
            )
        return self.stack.diagnostic(
            path,
            problem.message,
            "fix the {{ ... }} placeholder",
            line=self._line(path, problem.snippet_line),
        )

    def _sql_diagnostic(
        self, path: Path_, snippet: str, expanded: str, problem: SqlProblem
    ) -> Diagnostic:
        near = f" near {problem.near!r}" if problem.near else ""
        message = f"SQL syntax error: {problem.message}{near}"
        lines = expanded.splitlines()
        if snippet == expanded and problem.line is not None:
            offending = lines[problem.line - 1].strip() if problem.line <= len(lines) else ""
            return self.stack.diagnostic(
                path,
                message,
                f"snippets are BigQuery SQL; the error is in `{offending}`",
                line=self._line(path, problem.line),
                column=problem.column,
            )
        where = f" (line {problem.line} of the expanded SQL)" if problem.line else ""
        return self.stack.diagnostic(
            path, message + where, "snippets are BigQuery SQL after expanding {{ ... }}"
        )

    def _line(self, path: Path_, snippet_line: int | None) -> int | None:
        layers = self.stack.defining(path)
        if not layers or snippet_line is None:
            return None
        layer = layers[0]
        file_path = layer.file_path(path)
        body = layer.file.locator.string_body_line([str(part) for part in file_path])
        return body + snippet_line - 1 if body is not None else None
