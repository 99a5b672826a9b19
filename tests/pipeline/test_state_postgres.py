"""Run state on a real PostgreSQL server behaves exactly as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from opwatch.pipeline.state import FAILED, SUCCESS, RunState
from tests.pipeline.test_state import day_run


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    """The database the state is kept in."""
    return str(request.param)


@pytest.fixture
def state_url(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh state database: a SQLite file, or a database on the test PostgreSQL server."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def state(state_url: str) -> Iterator[RunState]:
    """The run state on ``state_url``, closed after the test."""
    run_state = RunState(state_url)
    yield run_state
    run_state.close()


def test_days_read_back_as_recorded(state: RunState) -> None:
    state.record([day_run(1), day_run(2, FAILED), day_run(3)])
    days = state.days("p")
    assert days == {date(2026, 10, n): day_run(n, FAILED if n == 2 else SUCCESS) for n in (1, 2, 3)}
    assert [run.submission_date.day for run in state.all_runs()] == [3, 2, 1]
    assert state.days("other") == {}


def test_a_rerun_replaces_the_day(state: RunState) -> None:
    state.record([day_run(1, FAILED), day_run(2)])
    state.record([day_run(1, SUCCESS, "def")])
    days = state.days("p")
    assert sorted(days) == [date(2026, 10, 1), date(2026, 10, 2)]
    assert days[date(2026, 10, 1)] == day_run(1, SUCCESS, "def")
    assert days[date(2026, 10, 2)] == day_run(2)


def test_the_rows_live_in_the_configured_database(
    state: RunState, state_url: str, dialect: str
) -> None:
    state.record([day_run(1), day_run(2)])
    state.record([day_run(2, FAILED)])
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            count = connection.execute(sa.text("select count(*) from runs")).scalar_one()
        assert (engine.dialect.name, count) == (dialect, 2)
    finally:
        engine.dispose()
