"""The generator's SQL: Jinja templates (DuckDB dialect) filled from the catalogs and the spec.

Templates hold every SQL token; Python only decides what goes in them. Three filters keep
values exact: ``literal`` (a quoted string, or a number or boolean as SQL writes it),
``double`` (a float written so DuckDB reads it back as the very same DOUBLE, which the bucket
lookup needs) and ``tag`` (a stable integer for a name, mixed into hashes so that each probe
draws its own numbers).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from functools import cache

import jinja2

from opwatch.sql.environment import sql_environment

STATEMENT_SEPARATOR = re.compile(r"^;\s*$", re.MULTILINE)


def render(template: str, context: Mapping[str, object]) -> str:
    """``templates/<template>`` rendered with ``context``."""
    return _environment().get_template(template).render(context)


def statements(template: str) -> list[str]:
    """The statements of a plain SQL file of ``templates/``, split on ``;`` lines."""
    source = _environment().loader
    assert source is not None
    text, _, _ = source.get_source(_environment(), template)
    return [part.strip() for part in STATEMENT_SEPARATOR.split(text) if part.strip()]


def macro(template: str, name: str) -> Callable[..., str]:
    """The Jinja macro ``name`` of ``templates/<template>``, to render one piece of SQL alone
    (tests check the bucket lookup this way against the Python reference)."""
    module = _environment().get_template(template).module
    function: Callable[..., str] = getattr(module, name)
    return function


def sql_literal(value: object) -> str:
    """``value`` as a SQL literal: strings quoted, booleans, numbers and None as written."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def sql_double(value: float) -> str:
    """``value`` as a DOUBLE literal that round-trips exactly (DuckDB reads ``1.5`` as a
    DECIMAL, ``1.5e0`` as a DOUBLE)."""
    text = f"{float(value):.17g}"
    return text if "e" in text or "n" in text else f"{text}e0"


def name_tag(name: str) -> int:
    """A stable 32-bit integer for ``name`` (CRC-32), to tell hashes of probes apart."""
    return zlib.crc32(name.encode())


@cache
def _environment() -> jinja2.Environment:
    environment = sql_environment(jinja2.PackageLoader("opwatch.demo.telemetry", "templates"))
    environment.filters["literal"] = sql_literal  # typed: numbers and booleans unquoted
    environment.filters["double"] = sql_double
    environment.filters["tag"] = name_tag
    return environment
