"""Check the snippets of a definitions or defaults file on its own, before any project uses it.

A platform's definitions hold hundreds of metrics most projects never list; a syntax error in
one should be found when the file is validated, not the day someone first monitors that metric.
"""

from __future__ import annotations

from opwatch.config.diagnostics import Diagnostic
from opwatch.config.merge import LayerStack
from opwatch.config.models import ConfigFile
from opwatch.config.snippets import SnippetChecker
from opwatch.config.sql_check import SnippetKind
from opwatch.config.templating import SnippetRenderer


def check_definition_snippets(
    stack: LayerStack, merged: ConfigFile | None = None
) -> list[Diagnostic]:
    """Diagnostics for every snippet of the stack's last file, with earlier files' functions.

    ``merged`` is the stack already merged and validated, when the caller has it: merging a
    platform's definitions again for every project would double the cost of validation.
    """
    if merged is None:
        merged = ConfigFile.model_validate(stack.merged())
    own = ConfigFile.model_validate(stack.project.data)
    diagnostics: list[Diagnostic] = []
    checker = SnippetChecker(
        stack, SnippetRenderer(merged.functions, merged.parameters), diagnostics.append
    )
    expression = SnippetKind.EXPRESSION
    for table in ("metrics", "dimensions", "segments"):
        for name, spec in getattr(own, table).items():
            if spec.select_expression:
                checker.expand(
                    (table, name, "select_expression"), spec.select_expression, expression
                )
    for name, source in own.data_sources.items():
        path = ("data_sources", name)
        if source.from_expression:
            checker.expand(
                (*path, "from_expression"),
                source.from_expression,
                SnippetKind.FROM,
                source.default_dataset,
            )
        for key in ("submission_date_column", "client_id_column", "build_id_column"):
            value = getattr(source, key)
            if value:
                checker.expand((*path, key), value, expression)
    for name, segment_source in own.segment_data_sources.items():
        if segment_source.from_expression:
            checker.expand(
                ("segments", "data_sources", name, "from_expression"),
                segment_source.from_expression,
                SnippetKind.FROM,
            )
    return diagnostics
