"""Every snippet of every corpus project translates into SQL each engine's own parser accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from opwatch.config import Project, validate_paths
from opwatch.engines.compat import compat_function_names
from opwatch.sql import TableMap, translate
from opwatch.sql.plan import plan_run
from opwatch.sql.render import render_run
from opwatch.sql.translate import _translated
from tests.conftest import CORPUS


def corpus_projects() -> list[Project]:
    result = validate_paths([CORPUS / "metric-hub", CORPUS / "opmon-config-2022"])
    assert result.ok
    return result.projects


def corpus_queries() -> Iterator[tuple[str, str]]:
    """(label, BigQuery query) for each snippet, wrapped in the smallest query that holds it."""
    seen: set[str] = set()
    for project in corpus_projects():
        snippets = [
            (f"metric {m.name}", m.select_expression, "expression") for m in project.metrics
        ]
        snippets += [
            (f"dimension {d.name}", d.select_expression, "expression")
            for d in project.dimensions.values()
        ]
        for source in project.data_sources.values():
            snippets.append((f"data source {source.name}", source.from_expression, "from"))
            snippets += [
                (f"{source.name} column", column, "expression")
                for column in (
                    source.submission_date_column,
                    source.build_id_column,
                    source.client_id_column,
                )
                if column
            ]
        for label, snippet, kind in snippets:
            query = (
                f"SELECT {snippet} AS value FROM t"
                if kind == "expression"
                else f"SELECT * FROM {snippet}"
            )
            if query not in seen:
                seen.add(query)
                yield label, query


QUERIES = list(corpus_queries())


def duckdb_parse_error(sql: str) -> str | None:
    """DuckDB's own parser's verdict (no tables or functions needed)."""
    connection = duckdb.connect()
    result = json.loads(connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    return result.get("error_message") if result.get("error") else None


def test_corpus_yields_many_distinct_queries() -> None:
    assert len(QUERIES) > 300


def test_every_corpus_snippet_parses_in_duckdb() -> None:
    failures = []
    for label, query in QUERIES:
        translated = translate(query, "duckdb", TableMap())
        error = duckdb_parse_error(translated)
        if error:
            failures.append(f"{label}: {error}\n  {translated}")
    assert failures == []


def bigquery_only_calls(tree: exp.Expression) -> list[str]:
    """Calls only BigQuery can make: through a dotted path (``mozfun.hist.extract(x)``, a
    project's ``udf.f(x)``) or with the ``SAFE.`` prefix."""
    calls = [node.sql() for node in tree.find_all(exp.SafeFunc)]
    for call in tree.find_all(exp.Func):
        parent = call.parent
        if (isinstance(parent, exp.Dot) and parent.expression is call) or (
            isinstance(parent, exp.Column) and parent.this is call
        ):
            calls.append(parent.sql())
    return sorted(calls)


@pytest.mark.parametrize("dialect", ["spark", "bigquery"])
def test_every_corpus_snippet_parses_in_other_dialects(dialect: str) -> None:
    # sqlglot reads back whatever it wrote, so the parse alone proves little: the tree it
    # reads must also hold what that engine can run. Spark has no UDF paths or SAFE calls
    # (macros instead) and needs every identifier quoted; BigQuery keeps the snippet's calls.
    # Both get the local dataset.table names (TableMap), never project.dataset.table.
    failures = []
    for label, query in QUERIES:
        tree = sqlglot.parse_one(translate(query, dialect, TableMap()), read=dialect)
        calls = bigquery_only_calls(tree)
        if dialect == "spark":
            expected_calls = []
            unquoted = [i.name for i in tree.find_all(exp.Identifier) if not i.quoted]
            if unquoted:
                failures.append(f"{label}: unquoted {unquoted}")
        else:
            expected_calls = bigquery_only_calls(sqlglot.parse_one(query, read="bigquery"))
        if calls != expected_calls:
            failures.append(f"{label}: calls {calls}, expected {expected_calls}")
        projects = [table.sql() for table in tree.find_all(exp.Table) if table.catalog]
        if projects:
            failures.append(f"{label}: tables not mapped: {projects}")
    assert failures == []


def test_every_udf_called_after_translation_has_a_duckdb_macro() -> None:
    provided = {name.lower() for name in compat_function_names("duckdb")}
    called: set[str] = set()
    for _, query in QUERIES:
        translated = translate(query, "duckdb", TableMap())
        assert not re.search(r"\b(mozfun|udf)\.", translated), translated
        called |= {
            n.lower() for n in re.findall(r"\b((?:mozfun|udf)_\w+)\(", translated, re.IGNORECASE)
        }
    assert called, "the corpus calls shared UDFs; none were found"
    assert called <= provided, f"no macro for: {sorted(called - provided)}"


def test_udf_paths_become_macro_names_with_project_prefix_dropped() -> None:
    sql = "COALESCE(`moz-fx-data-shared-prod`.udf.keyed_histogram_get_sum(h, 'gpu'), 0)"
    assert translate(sql, "duckdb") == "COALESCE(UDF_KEYED_HISTOGRAM_GET_SUM(h, 'gpu'), 0)"
    nested = "mozfun.map.get_key(mozfun.hist.extract(x).values, 0)"
    assert translate(nested, "duckdb") == "MOZFUN_MAP_GET_KEY(MOZFUN_HIST_EXTRACT(x).values, 0)"


def test_bigquery_target_keeps_udfs_and_safe_calls() -> None:
    sql = "SAFE.SUBSTR(mozfun.norm.os(os), 0, 8)"
    assert translate(sql, "bigquery") == sql


def test_safe_prefix_is_dropped_and_substring_start_clamped() -> None:
    assert translate("SAFE.SUBSTR(SAFE.SUBSTR(a, 0, 8), p, 2)", "duckdb") == (
        "SUBSTRING(SUBSTRING(a, 1, 8), "
        "CASE WHEN p IS NULL OR 1 IS NULL THEN NULL ELSE GREATEST(p, 1) END, 2)"
    )


def test_tables_map_to_dataset_dot_table_or_an_override() -> None:
    tables = TableMap({"mozdata.telemetry.crash": "read_parquet('crash/*.parquet')"})
    sql = (
        "SELECT * FROM `moz-fx-data-shared-prod.telemetry_stable.main_v5` AS m "
        "JOIN mozdata.telemetry.crash AS c USING (client_id) JOIN population USING (x)"
    )
    assert translate(sql, "duckdb", tables) == (
        "SELECT * FROM telemetry_stable.main_v5 AS m JOIN READ_PARQUET('crash/*.parquet') AS c "
        "USING (client_id) JOIN population USING (x)"
    )


DAY_RANGE = (
    "SELECT COUNT(*) FROM days WHERE DATE(DATE(stamp)) BETWEEN "
    "DATE_SUB(DATE('2026-10-25'), INTERVAL 1 DAY) AND DATE('2026-10-26')"
)
"""Rows of 2026-10-24 to 2026-10-26, as the population and segment templates filter them."""


@pytest.mark.parametrize("column_type", ["TIMESTAMP", "TIMESTAMPTZ", "DATE", "VARCHAR"])
def test_day_range_bound_on_the_column_keeps_the_same_rows(column_type: str) -> None:
    """The bound added for pruning drops no row the DATE test keeps, and keeps none it drops,
    whatever the column's type, at the edges of the days."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    instants = [
        "2026-10-23 23:59:59.999999",
        "2026-10-24 00:00:00",
        "2026-10-25 12:30:00",
        "2026-10-26 23:59:59.999999",
        "2026-10-27 00:00:00",
        None,
    ]
    values = ", ".join("(NULL)" if i is None else f"(TIMESTAMP '{i}')" for i in instants)
    connection.execute(
        f"CREATE TABLE days AS SELECT CAST(x AS {column_type}) AS stamp FROM (VALUES {values}) v(x)"
    )
    translated = translate(DAY_RANGE, "duckdb")
    assert "TRY_CAST(stamp AS TIMESTAMP) >=" in translated
    by_date = (
        "SELECT COUNT(*) FROM days WHERE CAST(stamp AS DATE) BETWEEN '2026-10-24' AND '2026-10-26'"
    )
    expected = connection.execute(by_date).fetchone()
    assert expected == (3,)
    assert connection.execute(translated).fetchone() == expected


def test_day_range_on_a_timestamp_column_reads_only_that_days_parquet(tmp_path: Path) -> None:
    """The point of the bound: DuckDB's Parquet reader hands over only the days asked for
    (one file per day here, as the demo data are written), not every day's rows."""
    connection = duckdb.connect()
    for day in ("2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"):
        connection.execute(
            f"COPY (SELECT TIMESTAMP '{day}' + to_seconds(i) AS stamp FROM range(1000) r(i)) "
            f"TO '{tmp_path / day}.parquet'"
        )
    connection.execute(f"CREATE VIEW days AS SELECT * FROM read_parquet('{tmp_path}/*.parquet')")
    one_day = DAY_RANGE.replace("INTERVAL 1 DAY", "INTERVAL 0 DAY").replace("10-26", "10-25")

    def rows_read(sql: str) -> int:
        plan = connection.execute(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1]
        scans = re.findall(r"(?:READ_PARQUET|TABLE_SCAN).*?([\d,]+) [Rr]ows", plan, flags=re.S)
        assert scans, plan
        return int(scans[0].replace(",", ""))

    assert connection.execute(translate(one_day, "duckdb")).fetchone() == (1000,)
    by_date = (  # what sqlglot alone makes of the range: DuckDB filters it after the read
        "SELECT COUNT(*) FROM days WHERE "
        "CAST(stamp AS DATE) BETWEEN CAST('2026-10-25' AS DATE) AND CAST('2026-10-25' AS DATE)"
    )
    assert rows_read(by_date) == 4000
    assert rows_read(translate(one_day, "duckdb")) == 1000


def test_a_translation_kept_for_other_days_equals_a_fresh_one() -> None:
    """Queries are translated with their days moved to one anchor day and moved back: the
    result must be what translating the query itself gives, for days of every kind (a range
    with a window, a timestamp, a fixed day from a config, a day-shaped non-day)."""

    def query(day: str) -> str:
        return (
            f"SELECT '2026-13-45' AS label, DATE('2021-01-01') AS launch FROM days WHERE "
            f"DATE(stamp) BETWEEN DATE_SUB(DATE('{day}'), INTERVAL 13 DAY) AND DATE('{day}') "
            f"AND stamp < TIMESTAMP('{day} 12:00:00')"
        )

    first = translate(query("2026-10-20"), "duckdb")
    second = translate(query("2026-11-02"), "duckdb")
    assert "2026-10-21" in first and "2026-11-03" in second  # the exclusive upper bounds
    assert second == first.replace("2026-10-21", "2026-11-03").replace(
        "2026-10-20", "2026-11-02"
    ).replace("2026-10-07", "2026-10-20")
    assert "'2021-01-01'" in second and "'2026-13-45'" in second
    assert translate(query("0001-01-01"), "duckdb").count("0001-01-01") >= 2


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "bigquery"])
def test_a_corpus_projects_queries_for_two_days_are_those_translated_afresh(
    dialect: str,
) -> None:
    projects = [p for p in corpus_projects() if p.xaxis == "build_id"][:3]
    assert projects
    for project in projects:
        for day in (date(2026, 10, 20), date(2026, 10, 21)):
            kept = render_run(plan_run(project, [day]), dialect)
            _translated.cache_clear()
            assert render_run(plan_run(project, [day]), dialect) == kept
