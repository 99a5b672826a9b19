"""Translate BigQuery SQL, as config authors write it, into an engine's dialect with sqlglot.

sqlglot handles the dialect itself (functions, types, quoting). On top of it, three rewrites
make Mozilla's SQL run elsewhere:

- calls to shared UDFs, ``mozfun.hist.extract(x)`` or ``\\`moz-fx-data-shared-prod\\`.udf.f(x)``,
  become calls to the engine's compatibility macros, ``mozfun_hist_extract(x)``;
- BigQuery's ``SAFE.`` prefix is dropped where the engine has none, and ``SUBSTR`` positions
  below 1 (which BigQuery reads as 1) are clamped, because DuckDB and Spark count them;
- table names map to local tables: ``project.dataset.table`` → ``dataset.table`` unless the
  engine settings map the name elsewhere (another table, a Parquet file);
- on DuckDB, a day range on ``DATE(column)`` also bounds the column itself, so that the Parquet
  reader skips the row groups (and files) of other days (see :func:`_prunable_date_range`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import sqlglot
from sqlglot import exp

READ_DIALECT = "bigquery"
QUOTE_ALL_IDENTIFIERS = frozenset({"spark"})
"""Dialects whose parser rejects column names such as ``values`` unless they are quoted."""
UDF_ROOTS = frozenset({"mozfun", "udf", "udf_js", "opwatch"})
"""The first name of a shared UDF's path; anything before it (a project) is dropped."""
OWN_ROOT = "opwatch"
"""opwatch's own helpers (``opwatch.normalized_histogram``), defined for every engine, BigQuery
included, as ``opwatch_<name>``."""


@dataclass(frozen=True)
class TableMap:
    """Where the tables a config names live on an engine."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    keep_project: bool = False

    def local_name(self, parts: tuple[str, ...]) -> str:
        """The local name of the table ``parts`` (``("mozdata", "telemetry", "main")``)."""
        full = ".".join(parts)
        if full in self.overrides:
            return self.overrides[full]
        return full if self.keep_project or len(parts) < 3 else ".".join(parts[-2:])


def translate(
    sql: str, dialect: str, tables: TableMap | None = None, *, pretty: bool = False
) -> str:
    """``sql`` (BigQuery) in ``dialect``, with UDFs, SAFE calls and tables rewritten.

    A project's queries differ from day to day only by their dates, and parsing them was most
    of a run's planning (the fission project's: 0.09 s a day, 0.006 s with the translation
    kept). So the dates are moved to a fixed day before translating, the translation of that
    text is kept, and its dates are moved back: every date a rewrite writes is one of the
    input's moved by whole days (:func:`_prunable_date_range`), so moving all of them commutes
    with translating.
    """
    table_key = _table_key(tables)
    offset = _day_offset(sql)
    moved = None if offset is None else _moved_days(sql, -offset)
    if offset is not None and moved is not None:
        back = _moved_days(_translated(moved, dialect, table_key, pretty), offset)
        if back is not None:  # None: a day near the calendar's ends
            return back
    return _translated(sql, dialect, table_key, pretty)


ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
"""A day as SQL literals write it, wherever it stands (``'2026-10-20'``, ``'2026-10-20 00:00'``)."""
ANCHOR_DAY = date(2000, 1, 3)
"""Where a query's first day is moved before translating (any fixed day would do)."""


def _day_offset(sql: str) -> timedelta | None:
    """How far the first real day of ``sql`` is from :data:`ANCHOR_DAY` (None: no day)."""
    for match in ISO_DAY.finditer(sql):
        day = _day(match)
        if day is not None:
            return day - ANCHOR_DAY
    return None


def _moved_days(sql: str, offset: timedelta) -> str | None:
    """``sql`` with every real day moved by ``offset`` (None when one would leave the
    calendar); strings shaped like days that are not days stay as they are."""

    def move(match: re.Match[str]) -> str:
        day = _day(match)
        return match.group(0) if day is None else (day + offset).isoformat()

    try:
        return ISO_DAY.sub(move, sql)
    except OverflowError:
        return None


def _day(match: re.Match[str]) -> date | None:
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _table_key(tables: TableMap | None) -> tuple[tuple[tuple[str, str], ...], bool] | None:
    if tables is None:
        return None
    return tuple(sorted(tables.overrides.items())), tables.keep_project


@lru_cache(maxsize=256)
def _translated(
    sql: str,
    dialect: str,
    table_key: tuple[tuple[tuple[str, str], ...], bool] | None,
    pretty: bool,
) -> str:
    tables = None if table_key is None else TableMap(dict(table_key[0]), table_key[1])
    tree = sqlglot.parse_one(sql, read=READ_DIALECT)
    rewrites: list[Callable[[exp.Expression], exp.Expression]] = []
    if dialect != READ_DIALECT:
        rewrites += [_rewrite_udf_call, _drop_safe_prefix, _clamp_substring_start]
    else:
        rewrites.append(lambda node: _rewrite_udf_call(node, roots={OWN_ROOT}))
    if dialect == "duckdb":
        rewrites += [_array_agg_ignore_nulls_once, _unnest_struct_fields, _prunable_date_range]
    if tables is not None:
        rewrites.append(lambda node: _map_table(node, tables))
    for rewrite in rewrites:  # in place: the tree is ours, and a copy per pass was a deep copy
        tree = tree.transform(rewrite, copy=False)
    return tree.sql(dialect=dialect, identify=dialect in QUOTE_ALL_IDENTIFIERS, pretty=pretty)


def compat_function_name(
    path: list[str], roots: frozenset[str] | set[str] = UDF_ROOTS
) -> str | None:
    """``["moz-fx-data-shared-prod", "udf", "get_key"]`` → ``udf_get_key``; None if not a UDF."""
    for index, name in enumerate(path):
        if name.lower() in roots:
            return "_".join(part.lower() for part in path[index:])
    return None


def _rewrite_udf_call(
    node: exp.Expression, roots: frozenset[str] | set[str] = UDF_ROOTS
) -> exp.Expression:
    """``a.b.f(x)`` parses as a Dot over a call, or (inside some calls) as a Column of one."""
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        call, prefix = node.expression, _dotted_names(node.this)
    elif isinstance(node, exp.Column) and isinstance(node.this, exp.Anonymous):
        call = node.this
        prefix = [node.args[key].name for key in ("catalog", "db", "table") if node.args.get(key)]
    else:
        return node
    name = compat_function_name([*prefix, call.name], roots) if prefix is not None else None
    if name is None:
        return node
    # sqlglot does not descend into a replaced node: rewrite nested calls here
    arguments = [
        argument.transform(lambda inner: _rewrite_udf_call(inner, roots))
        for argument in call.expressions
    ]
    return exp.Anonymous(this=name, expressions=arguments)


def _dotted_names(node: exp.Expression) -> list[str] | None:
    """The names of an ``a.b.c`` chain of identifiers, or None for anything else."""
    if isinstance(node, exp.Identifier):
        return [node.name]
    if isinstance(node, exp.Column):
        return [part.name for part in node.parts]
    if isinstance(node, exp.Dot):
        left, right = _dotted_names(node.this), _dotted_names(node.expression)
        return left + right if left is not None and right is not None else None
    return None


def _drop_safe_prefix(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SafeFunc):
        inner: exp.Expression = node.this
        # the outer pass does not visit a replaced node's children: rewrite them here
        return inner.transform(_drop_safe_prefix, copy=False)
    return node


def _array_agg_ignore_nulls_once(node: exp.Expression) -> exp.Expression:
    """DuckDB: ``ARRAY_AGG(x IGNORE NULLS)`` → ``LIST_FILTER(ARRAY_AGG(x), v -> v IS NOT NULL)``.

    sqlglot's own rendering, ``ARRAY_AGG(x) FILTER (WHERE x IS NOT NULL)``, evaluates ``x``
    twice; for ``mozfun.hist.extract(h)`` that parses every histogram's JSON twice.
    """
    if not (isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.ArrayAgg)):
        return node
    item = exp.to_identifier("_opwatch_item")
    keep = exp.Lambda(
        this=exp.Not(this=exp.Is(this=exp.column(item), expression=exp.Null())), expressions=[item]
    )
    return exp.Anonymous(this="LIST_FILTER", expressions=[node.this, keep])


def _unnest_struct_fields(node: exp.Expression) -> exp.Expression:
    """DuckDB: an unaliased ``FROM UNNEST(structs)`` exposes the structs' fields as columns.

    In BigQuery, ``(SELECT SUM(value) FROM UNNEST(histogram.values))`` reads each element's
    ``value`` field; DuckDB's UNNEST yields one struct column instead, unless it is told to
    unnest recursively. (An aliased UNNEST names the element, the same in both.)
    """
    if not isinstance(node, exp.Unnest) or node.args.get("alias"):
        return node
    if not isinstance(node.parent, (exp.From, exp.Join)) or len(node.expressions) != 1:
        return node
    recursive = exp.Kwarg(this=exp.var("recursive"), expression=exp.true())
    unnest = exp.Anonymous(this="UNNEST", expressions=[node.expressions[0], recursive])
    return exp.select(unnest).subquery()


def _prunable_date_range(node: exp.Expression) -> exp.Expression:
    """DuckDB: ``DATE(c) BETWEEN DATE('a') AND DATE('b')`` → the same ``AND c >= a AND c < b+1``.

    DuckDB skips Parquet row groups by a column's min/max only for a filter on the column
    itself, not on ``CAST(c AS DATE) BETWEEN``: without the bound a day's per-client query of
    the 2.5 M-ping, 14-day benchmark read all 2,489,590 pings to keep 177,687 (2.25 s; 1.9 s
    with it). The
    bound goes through ``TRY_CAST(c AS TIMESTAMP)``, which DuckDB drops for a TIMESTAMP column
    (so the filter reaches the reader) and which keeps a DATE, TIMESTAMPTZ or string column's
    rows exactly as the ``DATE`` test does (both read a time zone's day the same way).
    """
    if not isinstance(node, exp.Between):
        return node
    column = _dated_column(node.this)
    low, high = _literal_day(node.args.get("low")), _literal_day(node.args.get("high"))
    if column is None or low is None or high is None or high == date.max:
        return node
    stamp = exp.TryCast(this=column.copy(), to=exp.DataType.build("TIMESTAMP"))
    after = exp.GTE(this=stamp, expression=_timestamp(low))
    before = exp.LT(this=stamp.copy(), expression=_timestamp(high + timedelta(days=1)))
    return exp.paren(exp.and_(node.copy(), after, before), copy=False)


def _dated_column(node: exp.Expression) -> exp.Column | None:
    """The column under ``DATE(...)`` (nested any number of times), or None."""
    if not isinstance(node, exp.Date):
        return None
    while isinstance(node, exp.Date):
        node = node.this
    return node if isinstance(node, exp.Column) else None


def _literal_day(node: exp.Expression | None) -> date | None:
    """The day of ``DATE('YYYY-MM-DD')`` or of ``DATE_SUB(DATE('YYYY-MM-DD'), INTERVAL n DAY)``."""
    if isinstance(node, exp.DateSub):
        day, unit, days = _literal_day(node.this), node.args.get("unit"), node.expression
        if day is None or unit is None or unit.name.upper() != "DAY":
            return None
        if not (isinstance(days, exp.Literal) and days.name.isdigit()):
            return None
        try:
            return day - timedelta(days=int(days.name))
        except OverflowError:
            return None
    if isinstance(node, exp.Date) and isinstance(node.this, exp.Literal) and node.this.is_string:
        try:
            return date.fromisoformat(node.this.name)
        except ValueError:
            return None
    return None


def _timestamp(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), "TIMESTAMP")


def _clamp_substring_start(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Substring):
        return node
    start = node.args.get("start")
    if isinstance(start, exp.Literal) and start.is_int and int(start.name) < 1:
        node.set("start", exp.Literal.number(1))
    elif start is not None and not isinstance(start, exp.Literal):
        node.set("start", exp.Greatest(this=start, expressions=[exp.Literal.number(1)]))
    return node


def _map_table(node: exp.Expression, tables: TableMap) -> exp.Expression:
    if not isinstance(node, exp.Table) or not node.name:
        return node
    parts = tuple(part.name for part in node.parts)
    if len(parts) == 1:
        return node  # a CTE or an unqualified local table
    local = exp.to_table(tables.local_name(parts))
    if node.alias:
        local.set("alias", node.args.get("alias"))
    return local
