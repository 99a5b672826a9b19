"""Fixtures of the alerts tests: a fake Bugzilla speaking the REST protocol on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.bugzilla_server import FakeBugzilla


@pytest.fixture
def bugzilla() -> Iterator[FakeBugzilla]:
    """A started fake Bugzilla (API key ``secret-key``), stopped after the test."""
    with FakeBugzilla() as server:
        yield server
