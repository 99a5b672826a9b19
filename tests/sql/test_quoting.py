"""Names and values from configs reach SQL quoted, whatever characters they hold.

Configs name branches, metrics, dimensions, segments and data sources freely (TOML keys and
strings may hold quotes, backslashes, spaces and newlines); the experiment slug is looked up
as a string. Each must reach SQL as a literal or a quoted identifier, or a name such as
``'; DROP TABLE opwatch_clients; --`` becomes SQL. The project below gives every such name
those characters and runs on DuckDB over the demo telemetry; a twin with plain names runs on
the same data, and the two must give the same rows, the names aside.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pytest
import sqlglot
import tomli_w
from sqlglot import exp

from opwatch.config import Project, load_project
from opwatch.config.resolved import ResultKind, result_table
from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.pipeline import open_runner
from opwatch.results import ResultsReader, StatisticsFilter
from opwatch.sql.environment import sql_environment
from opwatch.sql.plan import plan_run
from opwatch.sql.translate import translate
from tests.conftest import days, settings_for

INJECTION = "'; DROP TABLE opwatch_clients; --"
"""Ends a string literal and drops the run's per-client table, if a name is pasted into SQL."""
ODD = {
    "source": 'odd "main"\nit\'s \\ source',
    "experiment": 'it\'s "odd" \\ slug',
    "control": 'it\'s "control" \\ 1',
    "treatment": INJECTION,
    "dimension": 'os "kind" it\'s \\ x',
    "segment": 'seg "it\'s" \\\n-- a newline',
    "scalar": 'uri count "it\'s" \\ x',
    "histogram": "gc ms 'h' \"y\" \\",
}
PLAIN = {
    "source": "main_source",
    "experiment": "plain-slug",
    "control": "control",
    "treatment": "treatment",
    "dimension": "os",
    "segment": "everyone",
    "scalar": "uri_count",
    "histogram": "gc_ms",
}
SUFFIX = ' it\'s "odd" \\ '
"""What the dimension's expression appends to each OS: the values hold quotes too."""


def bigquery_string(value: str) -> str:
    """``value`` as a config author writes it in BigQuery SQL."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def project_config(names: dict[str, str]) -> dict[str, Any]:
    """A project over the demo's main pings: its experiment's branches, renamed by SQL of the
    data source (the demo data knows only control and treatment), a dimension, a segment
    everybody is in, a scalar metric and a histogram metric."""
    from_expression = f"""(
    SELECT
        *,
        [STRUCT(
            {bigquery_string(names["experiment"])} AS key,
            CASE mozfun.map.get_key(environment.experiments, 'opwatch-demo').branch
                WHEN 'control' THEN {bigquery_string(names["control"])}
                WHEN 'treatment' THEN {bigquery_string(names["treatment"])}
            END AS value
        )] AS experiments
    FROM mozdata.telemetry.main
)"""
    source = names["source"]
    return {
        "project": {
            "name": "quoting",
            "platform": "firefox_desktop",
            "xaxis": "submission_date",
            "start_date": "2026-10-01",
            "metrics": [names["scalar"], names["histogram"]],
            "population": {
                "data_source": source,
                "branches": [names["control"], names["treatment"]],
                "dimensions": [names["dimension"]],
                "segments": [names["segment"]],
            },
        },
        "data_sources": {
            source: {
                "from_expression": from_expression,
                "submission_date_column": "DATE(submission_timestamp)",
                "experiments_column_type": "simple",
            }
        },
        "dimensions": {
            names["dimension"]: {
                "data_source": source,
                "select_expression": f"CONCAT(normalized_os, {bigquery_string(SUFFIX)})",
            }
        },
        "segments": {
            names["segment"]: {"data_source": "all_main", "select_expression": "LOGICAL_OR(TRUE)"},
            "data_sources": {
                "all_main": {
                    "from_expression": "mozdata.telemetry.main",
                    "submission_date_column": "DATE(submission_timestamp)",
                }
            },
        },
        "metrics": {
            names["scalar"]: {
                "data_source": source,
                "select_expression": "COALESCE(SUM("
                "payload.processes.parent.scalars.browser_engagement_total_uri_count), 0)",
                "type": "scalar",
                "statistics": {"mean": {}},
            },
            names["histogram"]: {
                "data_source": source,
                "select_expression": (
                    "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_ms) IGNORE NULLS)"
                ),
                "type": "histogram",
                "statistics": {"percentile": {"percentiles": [50]}},
            },
        },
    }


def load(names: dict[str, str], slug: str, tree: Path) -> Project:
    """The project of ``names``, written as ``<slug>.toml`` in a copy of the demo's tree."""
    if not tree.exists():
        shutil.copytree(demo_config_dir(), tree)
    path = tree / "opmon" / f"{slug}.toml"
    path.write_text(tomli_w.dumps(project_config(names)))
    return replace(load_project(path), experiment_slug=names["experiment"])


def result_rows(results: Path, slug: str, kind: ResultKind) -> list[dict[str, Any]]:
    """Every row of one of ``slug``'s result tables, by column name."""
    glob = str(results / "tables" / result_table(slug, kind) / "*" / "*.parquet")
    cursor = duckdb.execute("SELECT * FROM read_parquet(?, hive_partitioning = true)", [glob])
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def renamed(row: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """``row`` with the odd names replaced by the plain ones, as sorted (column, value) pairs."""
    plain = {ODD[key]: PLAIN[key] for key in ODD}
    return tuple(
        sorted(
            (
                plain.get(column, column),
                plain.get(value, value) if isinstance(value, str) else value,
            )
            for column, value in row.items()
        )
    )


@pytest.fixture(scope="module")
def odd_and_plain_runs(
    telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The results folders of the odd-named project and of its plainly named twin. Their paths
    hold quotes too: the Parquet files are written to paths given in SQL."""
    folder = tmp_path_factory.mktemp("quoting")
    runs = []
    for slug, names in (("odd-names", ODD), ("plain-names", PLAIN)):
        results = folder / f'{slug} it\'s "results"'
        with open_runner(settings_for(telemetry, results)) as runner:
            outcome = runner.run([load(names, slug, folder / "config")], days(telemetry)[-2:])
        assert outcome.ok, outcome
        runs.append(results)
    return runs[0], runs[1]


def test_odd_names_come_back_intact_from_every_result_table(
    odd_and_plain_runs: tuple[Path, Path],
) -> None:
    results, _ = odd_and_plain_runs
    scalars = result_rows(results, "odd-names", "scalar")
    histograms = result_rows(results, "odd-names", "histogram")
    statistics = result_rows(results, "odd-names", "statistics")
    assert scalars and histograms and statistics
    # the dimension is a column of that name in every table, its values hold quotes too
    for rows in (scalars, histograms, statistics):
        assert ODD["dimension"] in rows[0]
        assert {row[ODD["dimension"]] for row in rows} <= {
            f"{os}{SUFFIX}" for os in ("Windows", "Mac", "Linux")
        }
        assert {row["branch"] for row in rows} == {ODD["control"], ODD["treatment"]}
    assert {row["name"] for row in scalars} == {ODD["scalar"]}
    assert {row["probe"] for row in histograms} == {ODD["histogram"]}
    assert {row["metric"] for row in statistics} == {ODD["scalar"], ODD["histogram"]}


def test_odd_names_give_the_same_results_as_plain_ones(
    odd_and_plain_runs: tuple[Path, Path],
) -> None:
    """Nothing a name holds ran as SQL: the injected DROP of the per-client table would have
    failed the run or lost rows, and the treatment branch's rows would be missing."""
    odd, plain = odd_and_plain_runs
    for kind in ("scalar", "histogram"):
        odd_rows = sorted((renamed(row) for row in result_rows(odd, "odd-names", kind)), key=repr)
        plain_rows = sorted(
            (renamed(row) for row in result_rows(plain, "plain-names", kind)), key=repr
        )
        assert odd_rows == plain_rows, kind
        assert {dict(row)["branch"] for row in odd_rows} == {"control", "treatment"}


def read_back(
    telemetry: GeneratedData, results: Path, slug: str, names: dict[str, str]
) -> tuple[tuple[str | None, ...], list[dict[str, Any]]]:
    """What the dashboards read of a project: its dimension's values, and the statistic rows
    of its scalar metric on the treatment branch and the most common dimension value."""
    reader = ResultsReader(create_engine(settings_for(telemetry, results)).reads)
    try:
        [dimension] = reader.project(slug).dimensions
        assert dimension.name == names["dimension"]
        wanted = {
            "metric": names["scalar"],
            "branch": names["treatment"],
            names["dimension"]: dimension.default,
        }
        rows = reader.statistics(slug, StatisticsFilter(wanted, comparisons=True))
        return dimension.values, rows
    finally:
        reader.close()


def test_odd_names_are_read_back_through_the_reader(
    telemetry: GeneratedData, odd_and_plain_runs: tuple[Path, Path]
) -> None:
    """The read templates quote too: the reader lists the values of the odd dimension, and
    filters and sorts the statistics by it (a sorted copy of the table), as it does the plain
    project's."""
    odd, plain = odd_and_plain_runs
    odd_values, odd_rows = read_back(telemetry, odd, "odd-names", ODD)
    plain_values, plain_rows = read_back(telemetry, plain, "plain-names", PLAIN)
    assert set(odd_values) == {f"{os}{SUFFIX}" for os in ("Windows", "Mac", "Linux")}
    assert odd_values == plain_values
    assert odd_rows
    assert {(row["metric"], row["branch"]) for row in odd_rows} == {
        (ODD["scalar"], ODD["treatment"])
    }
    assert {row[ODD["dimension"]] for row in odd_rows} == {odd_values[0]}

    # the same rows, names aside; bounds are bootstrapped with a generator seeded by the names
    def unbounded(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
        kept = [{k: v for k, v in row.items() if k not in ("lower", "upper")} for row in rows]
        return sorted(map(renamed, kept), key=repr)

    assert unbounded(odd_rows) == unbounded(plain_rows)


@pytest.mark.parametrize("engine_name", ["duckdb", "spark", "bigquery"])
def test_every_engine_gets_the_names_as_literals_and_identifiers(
    engine_name: str, telemetry: GeneratedData, tmp_path: Path
) -> None:
    """Each statement of the odd project's script parses as one statement in the engine's
    dialect, and its literals and identifiers hold the names exactly."""
    project = load(ODD, "odd-names", tmp_path / "config")
    engine = create_engine(settings_for(telemetry, tmp_path / "results"), engine_name)
    script = engine.script(engine.prepare(plan_run(project, days(telemetry)[-1:])))
    literals: set[str] = set()
    identifiers: set[str] = set()
    for statement in script[len(engine.setup_statements()) :]:
        [tree] = sqlglot.parse(statement, read=engine_name)
        assert tree is not None
        literals |= {node.this for node in tree.find_all(exp.Literal) if node.is_string}
        identifiers |= {node.this for node in tree.find_all(exp.Identifier)}
    expected = {ODD[key] for key in ("experiment", "control", "treatment", "scalar", "histogram")}
    assert expected <= literals
    assert ODD["dimension"] in identifiers
    assert INJECTION in literals and not any("DROP" in name for name in identifiers)


NAMES = [
    'it\'s "quoted"',
    "back\\slash \\' \\\\",
    INJECTION,
    "new\nline\r\ttab",
    "unicode é 日本",
    "tick ` and ``",
]


def run_on_duckdb(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and rows of ``sql``, run on DuckDB."""
    cursor = duckdb.connect().execute(sql)
    return [column[0] for column in cursor.description or []], cursor.fetchall()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_bigquery_quoting_survives_translation(name: str, dialect: str) -> None:
    """The query templates are BigQuery SQL translated by sqlglot: their quoting must read back
    as the same name in every engine's dialect (and, on DuckDB, when run)."""
    template = sql_environment(jinja2.DictLoader({}), dialect="bigquery").from_string(
        "SELECT {{ name | literal }} AS {{ name | identifier }}"
    )
    translated = translate(template.render(name=name), dialect)
    [tree] = sqlglot.parse(translated, read=dialect)
    assert tree is not None
    assert [(node.alias, node.this.this) for node in tree.find_all(exp.Alias)] == [(name, name)]
    if dialect == "duckdb":
        assert run_on_duckdb(translated) == ([name], [(name,)])


@pytest.mark.parametrize("name", NAMES)
def test_duckdb_quoting_runs_on_duckdb(name: str) -> None:
    """Engine templates for DuckDB are run as written: their quoting is DuckDB's."""
    template = sql_environment(jinja2.DictLoader({})).from_string(
        "SELECT {{ name | literal }} AS {{ name | identifier }}"
    )
    assert run_on_duckdb(template.render(name=name)) == ([name], [(name,)])


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_a_comment_stays_in_the_comment(name: str) -> None:
    """Query templates label parts with names in ``--`` comments; a newline must not end one."""
    template = sql_environment(jinja2.DictLoader({}), dialect="bigquery").from_string(
        "SELECT\n    -- {{ name | comment }}\n    1 AS one"
    )
    for dialect in ("duckdb", "spark", "bigquery"):
        [tree] = sqlglot.parse(translate(template.render(name=name), dialect), read=dialect)
        assert isinstance(tree, exp.Select)
        [one] = tree.expressions
        assert (one.alias, one.this.sql()) == ("one", "1")
        assert " ".join(name.splitlines()) in " ".join(one.comments or [])
