"""The demo project's results (ten days, with detections) and a test client of the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opwatch.config import load_project
from opwatch.demo import demo_project_path
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines import create_engine
from opwatch.pipeline import open_runner
from opwatch.pipeline.detection import DetectionStep
from opwatch.web import create_app
from tests.conftest import days, settings_for
from tests.web.local import local_client


@pytest.fixture(scope="package")
def results(telemetry: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web") / "results"
    settings = settings_for(telemetry, folder)
    project = load_project(demo_project_path())
    with open_runner(settings) as runner:
        assert runner.run([project], days(telemetry)).ok
    engine = create_engine(settings)
    DetectionStep(engine, platforms=["All"]).run(project)
    engine.close()
    return folder


@pytest.fixture(scope="package")
def client(telemetry: GeneratedData, results: Path) -> TestClient:
    return local_client(create_app(settings_for(telemetry, results)))
