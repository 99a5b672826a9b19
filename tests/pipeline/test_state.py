"""Run state: one row per project-day, replaced on every attempt."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from opwatch.pipeline.state import FAILED, SUCCESS, DayRun, RunState


def day_run(day: int, status: str = SUCCESS, digest: str = "abc") -> DayRun:
    return DayRun(
        project="p",
        submission_date=date(2026, 10, day),
        config_hash=digest,
        status=status,
        engine="duckdb",
        started_at=datetime(2026, 11, 1, 4, 0),
        finished_at=datetime(2026, 11, 1, 4, 1),
        clients=10 * day,
        error=None if status == SUCCESS else "boom",
    )


def test_recording_a_day_again_replaces_it(tmp_path: Path) -> None:
    state = RunState.in_folder(tmp_path)
    state.record([day_run(1, FAILED), day_run(2)])
    state.record([day_run(1, SUCCESS, "def")])
    days = state.days("p")
    assert sorted(days) == [date(2026, 10, 1), date(2026, 10, 2)]
    assert (days[date(2026, 10, 1)].status, days[date(2026, 10, 1)].config_hash) == (SUCCESS, "def")
    assert days[date(2026, 10, 2)] == day_run(2)
    assert state.days("other") == {}


def test_state_survives_reopening_and_uses_wal(tmp_path: Path) -> None:
    RunState.in_folder(tmp_path).record([day_run(3)])
    state = RunState.in_folder(tmp_path)
    assert [r.submission_date for r in state.all_runs()] == [date(2026, 10, 3)]
    with state.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
