"""Serving in several processes: each gets its share of the server's memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opwatch.config.settings import Settings
from opwatch.web.app import close_app
from opwatch.web.workers import ENVIRONMENT, app_from_environment, memory_share, worker_environment


@pytest.mark.parametrize(
    ("limit", "parts", "share"),
    [
        ("1GB", 2, "500000000B"),
        ("1 GiB", 4, "268435456B"),
        ("1.5gb", 3, "500000000B"),
        ("300MB", 1, "300MB"),
        ("123456", 2, "61728B"),
    ],
)
def test_the_memory_limit_is_shared(limit: str, parts: int, share: str) -> None:
    assert memory_share(limit, parts) == share


@pytest.mark.parametrize("limit", ["80%", "lots", "1 XB"])
def test_a_limit_that_is_not_an_amount_is_left_to_duckdb_to_refuse(limit: str) -> None:
    assert memory_share(limit, 2) == limit


def test_a_worker_builds_its_app_from_the_command_s_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.model_validate(
        {"engine": {"results": str(tmp_path)}, "serve": {"memory_limit": "2GB", "workers": 4}}
    )
    passed = worker_environment(settings, "0.0.0.0", 4)
    assert Settings.model_validate(json.loads(passed)["settings"]) == settings
    monkeypatch.setenv(ENVIRONMENT, passed)
    app = app_from_environment()
    try:
        assert app.state.settings == settings
        assert app.state.reader.reads.memory_limit == "500000000B"
    finally:
        close_app(app)
