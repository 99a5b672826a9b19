"""What opwatch's two SQLAlchemy stores share: how a database is opened, how time is stamped.

The run state (here) and the alert store (in ``opwatch.alerts``, which may import the pipeline
but not the other way round) open their databases alike, so the rule is written once, here. On
SQLite, WAL mode lets readers (the web app) read while a run or the alert manager writes, and
a busy timeout makes a writer wait for another instead of failing with "database is locked".
Timestamps are naive UTC, which SQLite and PostgreSQL store alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 10_000
"""How long SQLite waits for another writer's lock before giving up."""


def open_database(url: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url``; SQLite connections in WAL mode, waiting for locks."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # one database in memory that every thread's connection sees (empty stores)
        pool: dict[str, Any] = {"poolclass": sa.StaticPool}
        pool["connect_args"] = {"check_same_thread": False}
        engine = sa.create_engine(url, **pool)
    else:
        engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        writer = not is_read_only(engine)
        sa.event.listen(engine, "connect", partial(_sqlite_pragmas, writer=writer))
    return engine


def sqlite_file_url(path: Path, *, read_only: bool = False) -> str:
    """The URL of the SQLite file ``path``; ``read_only``: opened so that nothing is written
    to the database (SQLite still keeps its ``-shm``/``-wal`` reader files beside it, which
    is how a reader sees what a writer commits meanwhile)."""
    if read_only:
        return f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
    return f"sqlite:///{path}"


def is_read_only(engine: sa.Engine) -> bool:
    """Whether ``engine`` opens its SQLite database read-only (see :func:`sqlite_file_url`)."""
    return engine.dialect.name == "sqlite" and "mode=ro" in str(engine.url)


def now() -> datetime:
    """The current UTC time, without time zone (as both databases store it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_pragmas(connection: Any, _record: Any, *, writer: bool) -> None:
    """Set on every new connection: the journal mode persists (set by writers; a read-only
    connection leaves it to them), the timeout does not."""
    cursor = connection.cursor()
    if writer:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
