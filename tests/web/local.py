"""A test client that asks as a browser on this machine does (Host: 127.0.0.1): the app
refuses Host names it does not serve, TestClient's default ``testserver`` among them."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from opwatch.config.settings import Settings
from opwatch.demo.telemetry import GeneratedData
from opwatch.web import create_app
from tests.conftest import settings_for

BASE_URL = "http://127.0.0.1"


def local_client(app: FastAPI) -> TestClient:
    """A client of ``app`` at :data:`BASE_URL`."""
    return TestClient(app, base_url=BASE_URL)


def client_of_copy(
    telemetry: GeneratedData, results: Path, folder: Path
) -> tuple[TestClient, Settings]:
    """A client of an app over a copy of ``results`` in ``folder`` (for tests that rewrite
    tables under a running app), with the copy's settings."""
    copy = folder / "results"
    shutil.copytree(results, copy)
    settings = settings_for(telemetry, copy)
    return local_client(create_app(settings)), settings
