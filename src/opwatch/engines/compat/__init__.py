"""Compatibility macros: engine implementations of Mozilla's shared UDFs (mozfun.*, udf.*)."""

from __future__ import annotations

import re
from importlib import resources

_STATEMENT_SEPARATOR = re.compile(r"^;\s*$", re.MULTILINE)
_MACRO_NAME = re.compile(r"CREATE OR REPLACE MACRO (\w+)\(", re.IGNORECASE)


def compat_statements(dialect: str) -> list[str]:
    """The statements that define the compatibility macros of ``dialect`` (e.g. ``duckdb``)."""
    text = (resources.files(__package__) / f"{dialect}.sql").read_text(encoding="utf-8")
    statements = (part.strip() for part in _STATEMENT_SEPARATOR.split(text))
    return [statement for statement in statements if statement]


def compat_function_names(dialect: str) -> list[str]:
    """Names of the macros ``dialect`` provides, as translated snippets call them."""
    return [name for s in compat_statements(dialect) for name in _MACRO_NAME.findall(s)]
