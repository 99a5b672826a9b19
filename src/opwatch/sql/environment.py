"""The Jinja set-up shared by every SQL template of opwatch (queries, engine statements, demo).

Templates hold every SQL token; Python only fills them. Undefined names fail loudly (a typo in
a template must not render as empty SQL), block tags leave no stray blank lines, and nothing is
HTML-escaped.

Every name or value from a config reaches SQL through a filter of this module, never pasted
raw: configs may name a branch ``it's "on"`` or a dimension ``os \\ kind`` (TOML allows any
string), and a name pasted into SQL is SQL. ``literal`` makes a string literal, ``identifier``
a quoted identifier, ``qualified`` a dotted name (``schema.table``) of quoted parts,
``comment`` text that cannot end the ``--`` comment it is written in. Each quotes for the
dialect the template is written in: the environment's, or the one a template names
(``{{ column | identifier("spark") }}`` in a Spark engine template). Python hands templates
names raw, never quoted: quoting is the templates' alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import jinja2
from sqlglot import exp

Quoting = Literal["duckdb", "bigquery", "spark"]
"""The dialects templates are written in: DuckDB (engine statements and the engine-neutral
reads), BigQuery (the query templates, translated by sqlglot afterwards) and Spark."""


def sql_environment(loader: jinja2.BaseLoader, dialect: Quoting = "duckdb") -> jinja2.Environment:
    """A Jinja environment for SQL templates written in ``dialect``, with the ``literal``,
    ``identifier``, ``qualified`` and ``comment`` filters."""
    environment = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # SQL, not HTML
        keep_trailing_newline=True,
    )

    def literal(value: object, quoting: Quoting = dialect) -> str:
        return sql_literal(value, quoting)

    def identifier(name: str, quoting: Quoting = dialect) -> str:
        return sql_identifier(name, quoting)

    def qualified(name: str | Sequence[str], quoting: Quoting = dialect) -> str:
        """A string is one name (a dot in it is part of it), a sequence the parts of a
        dotted name (``("schema", "table")``), each quoted."""
        parts = (name,) if isinstance(name, str) else name
        return ".".join(sql_identifier(part, quoting) for part in parts)

    environment.filters["literal"] = literal
    environment.filters["identifier"] = identifier
    environment.filters["qualified"] = qualified
    environment.filters["comment"] = sql_comment
    return environment


def sql_identifier(name: str, dialect: Quoting = "duckdb") -> str:
    """``name`` as a quoted identifier of ``dialect``: double quotes for DuckDB (and the
    engine-neutral read templates), backquotes for BigQuery and Spark.

    BigQuery's is read back by sqlglot when the query templates are translated; sqlglot
    writes it, so that the reading gives ``name`` back exactly (backslash escapes included).
    """
    if dialect == "duckdb":
        return '"' + name.replace('"', '""') + '"'
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def sql_literal(value: object, dialect: Quoting = "duckdb") -> str:
    """``value`` as a single-quoted string literal of ``dialect``.

    DuckDB doubles quotes and reads backslashes as themselves; BigQuery and Spark escape
    quotes, backslashes and control characters with backslashes, which sqlglot writes (and
    reads back, when the query templates are translated).
    """
    if dialect == "duckdb":
        return "'" + str(value).replace("'", "''") + "'"
    return exp.Literal.string(str(value)).sql(dialect=dialect)


def sql_comment(text: object) -> str:
    """``text`` on one line, for a ``--`` comment: a line break in a name would end the
    comment and make the rest of the name SQL. (sqlglot writes comments as ``/* */`` and
    escapes a ``*/`` within.)"""
    return " ".join(str(text).splitlines())
