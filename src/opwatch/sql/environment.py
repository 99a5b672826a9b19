"""The Jinja set-up shared by every SQL template of opwatch (queries, engine statements, demo).

Templates hold every SQL token; Python only fills them. Undefined names fail loudly (a typo in
a template must not render as empty SQL), block tags leave no stray blank lines, and nothing is
HTML-escaped.
"""

from __future__ import annotations

import jinja2


def sql_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A Jinja environment for SQL templates, with the ``literal`` filter."""
    environment = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # SQL, not HTML
        keep_trailing_newline=True,
    )
    environment.filters["literal"] = sql_literal
    return environment


def sql_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (DuckDB, and the engine-neutral read
    templates); BigQuery's backquoted ones are quoted where its templates are rendered."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    """``value`` as a single-quoted SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
