"""Run state: which project ran for which day, with which configuration, and how it went.

One row per (project, submission date), replaced on every attempt. It is what makes runs
resumable and cheap to repeat: a day already computed with the current configuration hash is
skipped; a day computed with an older hash is recomputed; a failed day is retried. The store is
SQLAlchemy Core over SQLite (``<results>/state.sqlite``, in WAL mode so that readers never
wait for a run), or any database URL SQLAlchemy knows, such as PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from opwatch.config.settings import Settings
from opwatch.pipeline.database import is_read_only, open_database, sqlite_file_url

metadata = sa.MetaData()
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("project", sa.String(255), primary_key=True),
    sa.Column("submission_date", sa.Date, primary_key=True),
    sa.Column("config_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("engine", sa.String(32), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("clients", sa.BigInteger),
    sa.Column("error", sa.Text),
)
SUCCESS, FAILED = "success", "failed"
STATE_FILE = "state.sqlite"


@dataclass(frozen=True)
class DayRun:
    """The outcome of one project's day."""

    project: str
    submission_date: date
    config_hash: str
    status: str
    engine: str
    started_at: datetime
    finished_at: datetime | None
    clients: int | None
    error: str | None


class RunState:
    """Reads and records day runs."""

    def __init__(self, url: str) -> None:
        self.engine = open_database(url)
        if not is_read_only(self.engine):
            metadata.create_all(self.engine)

    @classmethod
    def in_folder(cls, folder: Path) -> RunState:
        """The SQLite state beside the results in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(sqlite_file_url(folder / STATE_FILE))

    @classmethod
    def of_settings(cls, settings: Settings) -> RunState:
        """The state ``engine.state`` names, else the SQLite one beside the results."""
        url = settings.engine.state
        return cls(url) if url else cls.in_folder(settings.engine.results)

    @classmethod
    def reading(cls, settings: Settings) -> RunState | None:
        """The state of ``settings`` for a reader that writes nothing: the SQLite file
        opened read-only (None while no run has made it)."""
        if settings.engine.state:
            return cls(settings.engine.state)
        path = settings.engine.results / STATE_FILE
        return cls(sqlite_file_url(path, read_only=True)) if path.is_file() else None

    def days(self, project: str) -> dict[date, DayRun]:
        """Every recorded day of ``project``."""
        query = sa.select(runs).where(runs.c.project == project)
        with self.engine.connect() as connection:
            return {
                row.submission_date: DayRun(**row._mapping) for row in connection.execute(query)
            }

    def all_runs(self) -> list[DayRun]:
        """Every recorded day of every project, most recent first."""
        query = sa.select(runs).order_by(runs.c.submission_date.desc(), runs.c.project)
        with self.engine.connect() as connection:
            return [DayRun(**row._mapping) for row in connection.execute(query)]

    def record(self, day_runs: Iterable[DayRun]) -> None:
        """Replace the rows of these days, in one transaction."""
        rows = [day.__dict__ for day in day_runs]
        if not rows:
            return
        with self.engine.begin() as connection:
            for row in rows:
                connection.execute(
                    sa.delete(runs).where(
                        runs.c.project == row["project"],
                        runs.c.submission_date == row["submission_date"],
                    )
                )
            connection.execute(sa.insert(runs), rows)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
