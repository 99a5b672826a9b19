"""A test client that asks as a browser on this machine does (Host: 127.0.0.1): the app
refuses Host names it does not serve, TestClient's default ``testserver`` among them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

BASE_URL = "http://127.0.0.1"


def local_client(app: FastAPI) -> TestClient:
    """A client of ``app`` at :data:`BASE_URL`."""
    return TestClient(app, base_url=BASE_URL)
