"""The server-rendered pages: what each carries for its charts, errors, the empty state."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from fastapi.testclient import TestClient

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE, project_row
from opwatch.web import create_app
from tests.conftest import settings_for
from tests.web.local import client_of_copy, local_client


def test_home_lists_each_project_with_its_link(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/projects/opwatch-demo"' in page and "opwatch demo: GC pause experiment" in page


def test_the_dashboard_has_a_chart_per_statistic_and_a_control_per_dimension(
    client: TestClient,
) -> None:
    page = client.get("/projects/opwatch-demo").text
    charts = set(re.findall(r'data-metric="(\w+)" data-statistic="(\w+)"', page))
    project = load_project(demo_project_path())
    expected = {(m.name, s.name) for m in project.metrics for s in m.statistics}
    assert charts == expected
    assert '<select name="os" data-dimension>' in page
    assert re.search(r'<option value="\w+" selected>', page)  # the most common os first
    assert '<script src="/static/vendor/plotly.min.js">' in page


def test_a_metric_page_shows_its_definition_and_the_sql(client: TestClient) -> None:
    page = client.get("/projects/opwatch-demo/metrics/gc_ms").text
    assert "mozfun.hist.extract(payload.histograms.gc_ms)" in page  # the select expression
    assert "The per-client query of" in page and "mozfun_hist_extract" in page.lower()  # rendered


def test_unknown_projects_and_metrics_are_404_pages(client: TestClient) -> None:
    missing = client.get("/projects/nope")
    assert missing.status_code == 404 and "known: opwatch-demo" in missing.text
    metric = client.get("/projects/opwatch-demo/metrics/nope")
    assert metric.status_code == 404 and "its metrics: gc_ms" in metric.text


def test_plotly_is_served_from_the_package_and_cached(client: TestClient) -> None:
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200 and len(response.content) > 1_000_000
    assert "max-age" in response.headers["cache-control"]


def test_a_project_without_results_yet_says_what_to_do(
    telemetry: GeneratedData, tmp_path: Path
) -> None:
    settings = settings_for(telemetry, tmp_path / "results")
    engine = create_engine(settings)
    row = project_row(load_project(demo_project_path()))
    engine.results.replace_table(PROJECTS_TABLE, [row], "slug", PROJECTS_COLUMNS)
    engine.close()
    page = local_client(create_app(settings)).get("/projects/opwatch-demo").text
    assert "No results yet for this project" in page and "opwatch run --project" in page


def test_a_rendered_dashboard_follows_a_rewritten_project(
    telemetry: GeneratedData, results: Path, tmp_path: Path
) -> None:
    client, settings = client_of_copy(telemetry, results, tmp_path)
    first = client.get("/projects/opwatch-demo").text
    assert client.get("/projects/opwatch-demo").text == first  # kept
    project = load_project(demo_project_path())
    renamed = project_row(dataclasses.replace(project, name="A renamed project"))
    engine = create_engine(settings)
    engine.results.replace_table(PROJECTS_TABLE, [renamed], "slug", PROJECTS_COLUMNS)
    engine.close()
    again = client.get("/projects/opwatch-demo").text
    assert "A renamed project" in again and "A renamed project" not in first
