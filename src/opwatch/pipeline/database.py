"""What opwatch's two SQLAlchemy stores share: how a database is opened, how time is stamped.

The run state (here) and the alert store (in ``opwatch.alerts``, which may import the pipeline
but not the other way round) open their databases alike, so the rule is written once, here. On
SQLite, WAL mode lets readers (the web app) read while a run or the alert manager writes, and
a busy timeout makes a writer wait for another instead of failing with "database is locked".
Timestamps are naive UTC, which SQLite and PostgreSQL store alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 10_000
"""How long SQLite waits for another writer's lock before giving up."""


def open_database(url: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url``; SQLite connections in WAL mode, waiting for locks."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def now() -> datetime:
    """The current UTC time, without time zone (as both databases store it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Set on every new connection: the journal mode persists, the timeout does not."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
