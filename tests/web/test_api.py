"""The JSON API over real results of the demo project, checked against DuckDB reading the
Parquet files directly; errors are 4xx with a message, never 500."""

from __future__ import annotations

import csv
import dataclasses
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx2
import pytest
from fastapi.testclient import TestClient

from opwatch.config import load_project
from opwatch.config.resolved import Monitor
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.pipeline.detection import DetectionStep
from tests.web.local import client_of_copy

SLUG = "opwatch-demo"


def parquet(results: Path, table: str) -> str:
    partitioned = results / "tables" / table / "*" / "data.parquet"
    whole = results / "tables" / table / "data.parquet"
    return str(whole if whole.exists() else partitioned)


def test_projects_list_the_demo_with_its_range_and_detections(
    client: TestClient, results: Path
) -> None:
    [project] = client.get("/api/v1/projects").json()
    first, last = duckdb.sql(
        f"SELECT min(submission_date)::VARCHAR, max(submission_date)::VARCHAR "
        f"FROM read_parquet('{parquet(results, 'opwatch_demo_statistics')}')"
    ).fetchall()[0]
    shifts = duckdb.sql(
        f"SELECT count(*) FROM '{parquet(results, 'opwatch_demo_detections')}' WHERE kind = 'shift'"
    ).fetchall()[0][0]
    assert (project["slug"], project["first_day"], project["last_day"]) == (SLUG, first, last)
    assert project["open_detections"] == shifts
    assert project["last_run"] is not None and project["branches"] == ["control", "treatment"]


def test_a_project_has_its_metrics_and_dimension_values_most_common_first(
    client: TestClient, results: Path
) -> None:
    detail = client.get(f"/api/v1/projects/{SLUG}").json()
    counts = duckdb.sql(
        f"SELECT os FROM read_parquet('{parquet(results, 'opwatch_demo_statistics')}') "
        "GROUP BY os ORDER BY count(*) DESC, os"
    ).fetchall()
    [os_values] = detail["dimension_values"]
    assert os_values["values"] == [row[0] for row in counts]
    assert os_values["default"] == counts[0][0]
    assert detail["reference_branch"] == "control"  # the demo compares treatment to control
    assert {m["name"] for m in detail["metrics"]} == {
        "gc_ms",
        "gc_max_pause_ms_2",
        "uri_count",
        "active_ticks",
        "main_crashes",
        "crash_rate",
    }


@pytest.mark.parametrize(
    "query",
    [
        {"metric": "gc_ms", "statistic": "percentile", "parameter": "95", "os": "Windows"},
        {"metric": "uri_count", "statistic": "mean", "branch": "treatment"},
        {
            "metric": "gc_ms",
            "statistic": "percentile",
            "parameter": "50",
            "comparison": "difference",
        },
    ],
)
def test_statistics_are_the_rows_of_the_table(
    client: TestClient, results: Path, query: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/projects/{SLUG}/statistics", params=query)
    assert response.status_code == 200, response.text
    got = sorted(
        (r["xaxis_value"], r["branch"], r["os"], r["parameter"], r["point"], r["lower"], r["upper"])
        for r in response.json()["rows"]
    )
    where = " AND ".join(f"{column} = '{value}'" for column, value in query.items())
    if "comparison" not in query:
        where += " AND comparison IS NULL"
    expected = sorted(
        duckdb.sql(
            "SELECT submission_date::VARCHAR, branch, os, parameter, point, lower, upper "
            f"FROM read_parquet('{parquet(results, 'opwatch_demo_statistics')}') WHERE {where}"
        ).fetchall()
    )
    assert got == expected and got


def test_detections_are_the_rows_of_the_table(client: TestClient, results: Path) -> None:
    rows = client.get(f"/api/v1/projects/{SLUG}/detections").json()["rows"]
    count = duckdb.sql(f"SELECT count(*) FROM '{parquet(results, 'opwatch_demo_detections')}'")
    assert len(rows) == count.fetchall()[0][0]
    kinds = [row["kind"] for row in rows]
    assert kinds == sorted(kinds, key=lambda kind: kind == "spike")  # shifts first


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v1/projects/nope", 404, "in the results; known: opwatch-demo"),
        ("/api/v1/projects/nope/statistics?metric=gc_ms", 404, "known: opwatch-demo"),
        (f"/api/v1/projects/{SLUG}/statistics?metric=gc_ms&country=DE", 400, "no column country"),
        (f"/api/v1/projects/{SLUG}/statistics?metric=gc_ms&os=a&os=b", 400, "give os once"),
        (f"/api/v1/projects/{SLUG}/statistics", 422, "Field required"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message(
    client: TestClient, path: str, status: int, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert message in response.text


def test_the_openapi_spec_documents_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/v1/projects",
        "/api/v1/projects/{slug}",
        "/api/v1/projects/{slug}/statistics",
        "/api/v1/projects/{slug}/detections",
        "/api/v1/alerts",
    }


@pytest.mark.slow
def test_opwatch_serve_answers_over_http(telemetry: GeneratedData, results: Path) -> None:
    import tomli_w

    settings = results.parent / "opwatch.toml"
    settings.write_text(
        tomli_w.dumps({"engine": {"results": str(results)}, "tables": telemetry.tables})
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "opwatch", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--settings", str(settings)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = _get_when_up(f"http://127.0.0.1:{port}/api/v1/projects")
        assert [p["slug"] for p in response.json()] == [SLUG]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get_when_up(url: str) -> httpx2.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx2.get(url, timeout=5)
        except httpx2.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_cached_figures_follow_a_rewritten_table(
    telemetry: GeneratedData, results: Path, tmp_path: Path
) -> None:
    """The reader caches per table version: a new opwatch detect shows at once."""
    client, settings = client_of_copy(telemetry, results, tmp_path)
    before = client.get("/api/v1/projects").json()[0]["open_detections"]
    project = load_project(demo_project_path())
    eager = Monitor(args={"false_alarm_rate": 0.4})  # alarms on noise: the count must move
    project = dataclasses.replace(
        project, metrics=tuple(dataclasses.replace(m, monitor=eager) for m in project.metrics)
    )
    engine = create_engine(settings)
    after = DetectionStep(engine, platforms=["All"]).run(project)
    engine.close()
    shifts = sum(1 for _, change in after.changes if change.kind == "shift")
    assert client.get("/api/v1/projects").json()[0]["open_detections"] == shifts
    assert shifts != before


def test_csv_downloads_hold_the_json_rows(client: TestClient) -> None:
    query = "metric=gc_ms&statistic=percentile&parameter=50&os=Linux"
    rows = client.get(f"/api/v1/projects/{SLUG}/statistics?{query}").json()["rows"]
    download = client.get(f"/api/v1/projects/{SLUG}/statistics?{query}&format=csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert 'filename="opwatch-demo-gc_ms.csv"' in download.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(download.text)))
    assert len(parsed) == len(rows) > 0
    assert [float(r["point"]) for r in parsed] == pytest.approx([r["point"] for r in rows])
    assert [r["xaxis_value"] for r in parsed] == [r["xaxis_value"] for r in rows]
