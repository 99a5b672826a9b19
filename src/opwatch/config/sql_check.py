"""Parse the SQL snippets of a configuration as BigQuery SQL, pointing a syntax error into them.

Snippets are fragments: a select expression (``SUM(x)``), a from expression (a table name or a
parenthesized subquery), a dimension or segment expression, a join condition. Each is parsed in
the smallest statement that holds it, placed on its own line so that sqlglot's line and column
numbers are the snippet's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

READ_DIALECT = "bigquery"


class SnippetKind(StrEnum):
    """Where a snippet goes in a generated query, which decides how it is parsed."""

    EXPRESSION = "expression"
    FROM = "from"


@dataclass(frozen=True)
class SqlProblem:
    """A syntax error within a snippet: 1-based line and column of the snippet itself."""

    message: str
    line: int | None
    column: int | None
    near: str | None


_WRAPPERS = {SnippetKind.EXPRESSION: "{snippet}", SnippetKind.FROM: "SELECT *\nFROM\n{snippet}"}
_LINE_OFFSET = {SnippetKind.EXPRESSION: 0, SnippetKind.FROM: 2}
_MISSING_PART = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]+\.(\w+)'>")


@lru_cache(maxsize=8192)
def check_snippet(snippet: str, kind: SnippetKind) -> SqlProblem | None:
    """None when ``snippet`` parses as BigQuery SQL of its kind, else where and why it fails."""
    if not snippet.strip():
        return SqlProblem("the SQL snippet is empty", None, None, None)
    statement = _WRAPPERS[kind].format(snippet=snippet)
    try:
        parsed = sqlglot.parse(statement, read=READ_DIALECT)
    except ParseError as error:
        return _problem(error, kind, snippet)
    except TokenError as error:
        return SqlProblem(f"cannot tokenize the SQL: {error}", None, None, None)
    if len(parsed) != 1:
        return SqlProblem("the snippet holds more than one SQL statement", None, None, None)
    if kind is SnippetKind.EXPRESSION and _is_bare_query(parsed[0]):
        return SqlProblem(
            "an expression cannot be a whole query; wrap a subquery in parentheses", 1, None, None
        )
    return None


def _problem(error: ParseError, kind: SnippetKind, snippet: str) -> SqlProblem:
    detail = error.errors[0] if error.errors else {}
    line = detail.get("line")
    line = line - _LINE_OFFSET[kind] if isinstance(line, int) else None
    description = str(detail.get("description") or error).split("\n")[0]
    missing = _MISSING_PART.search(description)
    if missing:
        description = f"incomplete {missing.group(1).upper()} clause or operator"
    near = detail.get("highlight") or None
    last_line = snippet.count("\n") + 1
    if line is not None:
        line = min(max(line, 1), last_line)
    return SqlProblem(description, line, detail.get("col"), near)


def _is_bare_query(expression: object) -> bool:
    return isinstance(expression, exp.Query) and not isinstance(expression, exp.Subquery)
