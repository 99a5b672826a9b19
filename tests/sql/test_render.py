"""Rendering: every corpus project renders for every engine into SQL its dialect parses.

Golden scripts of the demo project are checked in under ``tests/sql/golden/``; regenerate them
with ``OPWATCH_UPDATE_GOLDEN=1 pytest tests/sql/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types

from opwatch.config import Project, load_project, validate_paths
from opwatch.config.settings import Settings
from opwatch.demo import demo_project_path
from opwatch.engines import ENGINES, create_engine
from opwatch.sql.plan import plan_run
from opwatch.sql.render import Enrollment, branch_rule
from tests.conftest import CORPUS

GOLDEN = Path(__file__).parent / "golden"
SETTINGS = Settings.model_validate({"engine": {"results": "results"}})


def corpus_projects() -> list[Project]:
    result = validate_paths([CORPUS / "metric-hub", CORPUS / "opmon-config-2022"])
    assert result.ok
    return result.projects


PROJECTS = corpus_projects()


def script(project: Project, engine_name: str, day: date = date(2024, 3, 10)) -> list[str]:
    engine = create_engine(SETTINGS, engine_name)
    output = engine.prepare(plan_run(project, [day]))
    return engine.script(output)[len(engine.setup_statements()) :]


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
def test_every_corpus_project_renders_sql_its_engine_parses(engine_name: str) -> None:
    assert len(PROJECTS) == 37
    for project in PROJECTS:
        for statement in script(project, engine_name):
            assert sqlglot.parse(statement, read=engine_name), (project.slug, statement[:200])


def bool_casts_to_float64(statement: str) -> list[str]:
    """The casts of a boolean to FLOAT64 in a BigQuery statement: BigQuery refuses them (even
    SAFE_CAST). Types come from sqlglot: comparisons, logic and LOGICAL_OR are BOOL."""
    tree = annotate_types(sqlglot.parse_one(statement, read="bigquery"), dialect="bigquery")
    return [
        cast.sql("bigquery")
        for cast in tree.find_all(exp.Cast)
        if cast.to.this is exp.DataType.Type.DOUBLE
        and cast.this.type is not None
        and cast.this.type.this is exp.DataType.Type.BOOLEAN
    ]


def test_the_bool_cast_finder_finds_them() -> None:
    found = bool_casts_to_float64(
        "SELECT CAST(COALESCE(SUM(a), 0) > 0 AS FLOAT64), SAFE_CAST(LOGICAL_OR(b) AS FLOAT64), "
        "CAST(IF(SUM(a) > 0, 1, 0) AS FLOAT64) FROM t"
    )
    assert found == [
        "CAST(COALESCE(SUM(a), 0) > 0 AS FLOAT64)",
        "SAFE_CAST(LOGICAL_OR(b) AS FLOAT64)",
    ]


def test_bigquery_renders_cast_no_bool_to_float64() -> None:
    """``retained`` is the defaults' ``IF(... > 0, 1, 0)``, not the definitions' boolean, and
    no other corpus metric is a boolean either."""
    found = {
        project.slug: casts
        for project in PROJECTS
        for statement in script(project, "bigquery")
        if (casts := bool_casts_to_float64(statement))
    }
    assert found == {}


def test_duckdb_own_parser_accepts_every_corpus_query() -> None:
    connection = duckdb.connect()
    engine = create_engine(SETTINGS, "duckdb")
    for project in PROJECTS:
        output = engine.prepare(plan_run(project, [date(2024, 3, 10)]))
        for query in [output.clients_query, *(t.query for t in output.tables)]:
            row = connection.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
            assert row is not None
            verdict = json.loads(row[0])
            assert not verdict["error"], (project.slug, verdict.get("error_message"))


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
def test_demo_project_script_matches_the_golden_file(engine_name: str) -> None:
    text = ";\n\n".join(script(load_project(demo_project_path()), engine_name)) + ";\n"
    golden = GOLDEN / f"opwatch-demo.{engine_name}.sql"
    if os.environ.get("OPWATCH_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert golden.read_text() == text, f"regenerate with OPWATCH_UPDATE_GOLDEN=1: {golden}"


def by_slug(slug: str, generation: int = 2) -> Project:
    return next(p for p in PROJECTS if p.slug == slug and p.generation == generation)


@pytest.mark.parametrize(
    ("slug", "rule", "kept"),
    [
        # configured branches: the client's branch in the experiment, others dropped
        ("bug-1751039-pref-win32k-experiment-nightly-99-99", "experiment", ("enabled", "disabled")),
        # a boolean pref splits clients into enabled / disabled
        (
            "bug-1660366-pref-ongoing-fission-nightly-experiment-nightly-83-100",
            "boolean_pref",
            ("enabled", "disabled"),
        ),
        # the whole population, one branch
        ("garbage_collection", "entire_population", ()),
        # a rollout without branches: enrolled or not
        (
            "tcp-rollout-phase-iii-tcp-on-by-default-for-50-existing-release-profiles",
            "rollout",
            ("enabled", "disabled"),
        ),
        # branches and the entire population: branches read, nobody dropped
        ("tcp-rollout", "experiment", ()),
    ],
)
def test_branch_rules_follow_opmon_order(slug: str, rule: str, kept: tuple[str, ...]) -> None:
    chosen = branch_rule(by_slug(slug))
    assert (chosen.rule, chosen.kept) == (rule, kept)


def test_enrollment_is_read_where_each_ping_keeps_it() -> None:
    desktop = by_slug("bug-1751039-pref-win32k-experiment-nightly-99-99")
    assert branch_rule(desktop).enrollment == Enrollment("native", desktop.slug)
    assert (
        "mozfun.map.get_key(environment.experiments, "
        "'bug-1751039-pref-win32k-experiment-nightly-99-99').branch AS branch"
    ) in script(desktop, "bigquery")[0]
    glean = load_project(
        CORPUS / "metric-hub/opmon/android-add-ons-extension-process-release-rollout.toml"
    )
    assert (
        "mozfun.map.get_key(ping_info.experiments, "
        "'android-add-ons-extension-process-release-rollout').branch IS NULL"
    ) in script(glean, "bigquery")[0]


def test_build_id_projects_read_a_window_and_keep_recent_builds() -> None:
    project = by_slug("network-performance-desktop-build-by-build")
    [statement] = [s for s in script(project, "duckdb") if s.startswith("CREATE")]
    assert "CAST('2024-02-25' AS DATE) AND CAST('2024-03-10' AS DATE)" in statement
    assert "CAST('2024-02-25' AS DATE)" in statement.split("clients AS")[1]
