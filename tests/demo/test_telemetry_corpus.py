"""Every supported corpus project runs end to end on generated data and gets values.

A project is fed when its run succeeds, each of its metrics has a non-NULL value for some
client, and each branch it expects (configured branches, enabled/disabled for a rollout or a
boolean pref, ``active`` for the entire population) has clients in the results.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from opwatch.config import Project, load_project
from opwatch.config.resolved import ResultKind, result_table
from opwatch.config.settings import Settings
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.demo.telemetry.corpus import (
    SUPPORTED_PROJECTS,
    UNSUPPORTED_PROJECTS,
    corpus_experiments,
)
from opwatch.engines import create_engine
from opwatch.sql.plan import BUILD_WINDOW_DAYS, plan_run
from opwatch.sql.render import branch_rule
from tests.conftest import CORPUS

PROJECT_PATHS = [CORPUS / project.path for project in SUPPORTED_PROJECTS] + [demo_project_path()]


def _project_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def run(project: Project, data: GeneratedData, results: Path) -> duckdb.DuckDBPyConnection:
    """Run ``project`` over the generated period; a connection with its result tables."""
    settings = Settings.model_validate({"engine": {"results": str(results)}, "tables": data.tables})
    engine = create_engine(settings)
    if project.xaxis == "build_id":
        dates = [data.end_date]
    else:
        first = data.start_date + timedelta(days=1)
        dates = [first + timedelta(days=d) for d in range((data.end_date - first).days + 1)]
    try:
        engine.write(engine.prepare(plan_run(project, dates)))
    finally:
        engine.close()
    connection = duckdb.connect()
    kinds: tuple[ResultKind, ...] = ("scalar", "histogram")
    for kind in kinds:
        files = results / "tables" / result_table(project.slug, kind)
        source = f"read_parquet('{files}/*/*.parquet')" if files.is_dir() else None
        empty = "SELECT NULL::VARCHAR AS branch, NULL::VARCHAR AS name, NULL AS value LIMIT 0"
        query = source and (
            f"SELECT branch, {'name' if kind == 'scalar' else 'probe'} AS name, value FROM {source}"
        )
        connection.execute(f"CREATE VIEW {kind} AS {query or empty}")
    return connection


def expected_branches(project: Project) -> set[str]:
    """The branches a project's dashboards show."""
    rule = branch_rule(project)
    return set(project.population.branches or rule.kept or ("active",))


@pytest.mark.parametrize("path", PROJECT_PATHS, ids=_project_id)
def test_project_is_fed(path: Path, corpus_data: GeneratedData, tmp_path: Path) -> None:
    project = load_project(path)
    results = run(project, corpus_data, tmp_path)
    with_values = {
        name
        for kind in ("scalar", "histogram")
        for (name,) in results.execute(
            f"SELECT DISTINCT name FROM {kind} WHERE value IS NOT NULL"
        ).fetchall()
    }
    branches = {
        branch
        for kind in ("scalar", "histogram")
        for (branch,) in results.execute(f"SELECT DISTINCT branch FROM {kind}").fetchall()
    }
    assert [m.name for m in project.metrics if m.name not in with_values] == []
    assert expected_branches(project) <= branches


def test_build_window_fits_in_the_data() -> None:
    from tests.demo.conftest import CORPUS_SPEC

    assert CORPUS_SPEC.days > BUILD_WINDOW_DAYS


def test_corpus_experiments_include_the_demo_and_each_project_slug() -> None:
    experiments = corpus_experiments()
    assert experiments["opwatch-demo"] == ("control", "treatment")
    for project in SUPPORTED_PROJECTS:
        assert set(project.experiments) <= set(experiments)


def test_every_corpus_project_is_supported_or_explained() -> None:
    projects = {
        str(path.relative_to(CORPUS))
        for folder in ("metric-hub/opmon", "opmon-config-2022")
        for path in (CORPUS / folder).glob("*.toml")
    }
    supported = {project.path for project in SUPPORTED_PROJECTS}
    assert supported.isdisjoint(UNSUPPORTED_PROJECTS)
    assert projects == supported | set(UNSUPPORTED_PROJECTS)
