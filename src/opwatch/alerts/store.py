"""The alert store: SQLAlchemy Core over SQLite (default) or PostgreSQL, migrated by Alembic
when opened.

Every write is idempotent on a natural key (an alert's ``key``, a bug's ``group_key``, a
delivery's alert, channel and target), so that the manager can be rerun, or resumed after a
crash, without duplicating anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite

from opwatch.alerts.model import OPEN_STATUSES, Alert
from opwatch.alerts.schema import VERSION_TABLE, alerts, bugs, deliveries, manager_runs
from opwatch.config.settings import Settings
from opwatch.errors import OpwatchError
from opwatch.pipeline.database import now, open_database, sqlite_file_url

MIGRATIONS = Path(__file__).parent / "migrations"
STORE_FILE = "alerts.sqlite"
EMPTY_STORE = "sqlite://"
"""An empty store in memory, one database for all of a process's threads."""
SENT, PENDING, FAILED = "sent", "pending", "failed"
OPEN = "open"
"""The status filter for any status still waiting on someone (:data:`OPEN_STATUSES`)."""
DEFAULT_LIMIT = 500


@dataclass(frozen=True)
class StoredBug:
    """A bug the manager filed (or adopted), with the resolution last read."""

    id: int
    group_key: str
    project: str
    metric: str
    position: str
    status: str
    resolution: str
    created_at: datetime


@dataclass(frozen=True)
class AlertQuery:
    """Which alerts to list (None: any): what the CLI and manager ask, and what the web's
    Alerts page and ``/api/v1/alerts`` parse their query strings into.

    ``status`` is one status or :data:`OPEN`; ``since`` and ``until`` bound the day of the
    manager run that created the alert, inclusive; ``limit`` caps the list."""

    status: str | None = None
    project: str | None = None
    metric: str | None = None
    since: date | None = None
    until: date | None = None
    bug_id: int | None = None
    limit: int = DEFAULT_LIMIT


class AlertStore:
    """Alerts, bugs and deliveries in one database."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = open_database(url)
        if migrate:
            self.migrate()

    @classmethod
    def in_folder(cls, folder: Path) -> AlertStore:
        """The default store: ``alerts.sqlite`` in the results folder."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(sqlite_file_url(folder / STORE_FILE))

    @classmethod
    def reading(cls, settings: Settings) -> AlertStore:
        """The store of ``settings`` for a reader that writes nothing (the dashboards): the
        SQLite file opened read-only, or an empty store in memory while there is none; a
        store whose schema is behind this version's says to run ``opwatch alerts`` first."""
        if settings.alerts.store:
            store = cls(settings.alerts.store, migrate=False)
        else:
            path = settings.engine.results / STORE_FILE
            if not path.is_file():
                return cls(EMPTY_STORE)
            store = cls(sqlite_file_url(path, read_only=True), migrate=False)
        store.check_schema()
        return store

    @classmethod
    def of_settings(cls, settings: Settings) -> AlertStore:
        """The configured store (``alerts.store``), else SQLite in the results folder. It
        opens without the notifiers: a server that only lists alerts needs no mail client."""
        if settings.alerts.store:
            return cls(settings.alerts.store)
        return cls.in_folder(settings.engine.results)

    def check_schema(self) -> None:
        """Raise OpwatchError unless the database is at this version's newest migration."""
        script = ScriptDirectory.from_config(self._alembic_config())
        with self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            current = context.get_current_revision()
        if current != script.get_current_head():
            raise OpwatchError(
                f"the alert store {self.engine.url!r} is at schema {current or 'none'}, this "
                f"opwatch reads {script.get_current_head()}: run opwatch alerts once to "
                "upgrade it"
            )

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is there)."""
        config = self._alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # --- alerts ---------------------------------------------------------------------------

    def add(self, new: Iterable[Alert]) -> list[Alert]:
        """Insert the alerts whose key is not stored yet; the ones inserted, with their ids."""
        added = []
        with self.engine.begin() as connection:
            for alert in new:
                statement = self._insert_ignoring(alerts).values(**_alert_row(alert))
                # RETURNING, not rowcount: PostgreSQL's driver reports -1 rows either way
                inserted = connection.execute(statement.returning(alerts.c.key)).first()
                if inserted is not None:
                    added.append(alert.key)
        return self.by_keys(added)

    def by_keys(self, keys: Sequence[str]) -> list[Alert]:
        """Stored alerts by key, in id order."""
        if not keys:
            return []
        query = sa.select(alerts).where(alerts.c.key.in_(list(keys))).order_by(alerts.c.id)
        return self._alerts(query)

    def find(self, wanted: AlertQuery = AlertQuery()) -> list[Alert]:
        """Alerts matching ``wanted``, newest change first."""
        query = sa.select(alerts)
        if wanted.status is not None:
            statuses = OPEN_STATUSES if wanted.status == OPEN else (wanted.status,)
            query = query.where(alerts.c.status.in_(statuses))
        for column, value in (
            (alerts.c.project, wanted.project),
            (alerts.c.metric, wanted.metric),
            (alerts.c.bug_id, wanted.bug_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if wanted.since is not None:
            query = query.where(alerts.c.day >= wanted.since)
        if wanted.until is not None:
            query = query.where(alerts.c.day <= wanted.until)
        query = query.order_by(alerts.c.position.desc(), alerts.c.id).limit(wanted.limit)
        return self._alerts(query)

    def pending(self, route: str, without_bug: bool = False) -> list[Alert]:
        """Open alerts of ``route`` (``without_bug``: not in a bug yet), in id order."""
        query = sa.select(alerts).where(alerts.c.route == route, alerts.c.status == "new")
        if without_bug:
            query = query.where(alerts.c.bug_id.is_(None))
        return self._alerts(query.order_by(alerts.c.id))

    def near(self, alert: Alert, positions: Sequence[str]) -> bool:
        """Whether an alert of the same series, source and direction is stored at one of
        ``positions`` (a change found again a day or two off is the same change)."""
        query = sa.select(alerts.c.key, alerts.c.dimensions).where(
            alerts.c.project == alert.project,
            alerts.c.metric == alert.metric,
            alerts.c.statistic == alert.statistic,
            _equal(alerts.c.parameter, alert.parameter),
            _equal(alerts.c.branch, alert.branch),
            alerts.c.source == alert.source,
            _equal(alerts.c.direction, alert.direction),
            alerts.c.position.in_(list(positions)),
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        return any(json.loads(row.dimensions) == alert.dimensions for row in rows)

    def update(self, ids: Sequence[int], **values: Any) -> None:
        """Set ``values`` on the alerts ``ids`` (status, bug_id, note)."""
        if not ids:
            return
        statement = alerts.update().where(alerts.c.id.in_(list(ids)))
        with self.engine.begin() as connection:
            connection.execute(statement.values(**values, updated_at=now()))

    def _alerts(self, query: sa.Select[Any]) -> list[Alert]:
        with self.engine.connect() as connection:
            return [_alert(row._mapping) for row in connection.execute(query)]

    # --- bugs -----------------------------------------------------------------------------

    def add_bug(self, bug: StoredBug) -> None:
        """Record a bug filed (or found) for a group; a second record of it changes nothing."""
        row = bug.__dict__ | {"synced_at": now()}
        with self.engine.begin() as connection:
            connection.execute(self._insert_ignoring(bugs).values(**row))

    def bug_for_group(self, group_key: str) -> StoredBug | None:
        """The bug of ``group_key``, if one was filed."""
        return next(iter(self._bugs(sa.select(bugs).where(bugs.c.group_key == group_key))), None)

    def open_bugs(self) -> list[StoredBug]:
        """Bugs not resolved when last read."""
        return self._bugs(sa.select(bugs).where(bugs.c.resolution == "").order_by(bugs.c.id))

    def all_bugs(self) -> list[StoredBug]:
        """Every bug, oldest first (resolutions are read back for reopened ones too)."""
        return self._bugs(sa.select(bugs).order_by(bugs.c.id))

    def set_bug_state(self, bug_id: int, status: str, resolution: str) -> None:
        """The tracker's status and resolution of ``bug_id``, as just read."""
        statement = bugs.update().where(bugs.c.id == bug_id)
        with self.engine.begin() as connection:
            connection.execute(
                statement.values(status=status, resolution=resolution, synced_at=now())
            )

    def _bugs(self, query: sa.Select[Any]) -> list[StoredBug]:
        fields = StoredBug.__dataclass_fields__
        with self.engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        return [StoredBug(**{k: v for k, v in row._mapping.items() if k in fields}) for row in rows]

    # --- deliveries -----------------------------------------------------------------------

    def delivery_states(self, channel: str, target: str, ids: Sequence[int]) -> dict[int, str]:
        """Alert id → state of its delivery to ``target`` over ``channel`` (absent: none)."""
        query = sa.select(deliveries.c.alert_id, deliveries.c.state).where(
            deliveries.c.channel == channel,
            deliveries.c.target == target,
            deliveries.c.alert_id.in_(list(ids)),
        )
        with self.engine.connect() as connection:
            return {row.alert_id: row.state for row in connection.execute(query)}

    def record_delivery(
        self,
        ids: Sequence[int],
        channel: str,
        target: str,
        state: str,
        reference: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record (or update) the delivery of alerts ``ids`` to ``target``."""
        with self.engine.begin() as connection:
            for alert_id in ids:
                key = dict(alert_id=alert_id, channel=channel, target=target)
                values = dict(state=state, reference=reference, error=error, updated_at=now())
                connection.execute(self._insert_ignoring(deliveries).values(**key, **values))
                where = [deliveries.c[name] == value for name, value in key.items()]
                connection.execute(deliveries.update().where(*where).values(**values))

    # --- manager runs ---------------------------------------------------------------------

    def start_run(self, day: date) -> None:
        """Mark ``day``'s run started (a rerun starts it again)."""
        values = dict(started_at=now(), finished_at=None, counts=None, error=None)
        with self.engine.begin() as connection:
            connection.execute(self._insert_ignoring(manager_runs).values(day=day, **values))
            connection.execute(
                manager_runs.update().where(manager_runs.c.day == day).values(**values)
            )

    def finish_run(self, day: date, counts: dict[str, int], error: str | None = None) -> None:
        """Record how ``day``'s run ended."""
        values = dict(finished_at=now(), counts=json.dumps(counts), error=error)
        with self.engine.begin() as connection:
            connection.execute(
                manager_runs.update().where(manager_runs.c.day == day).values(**values)
            )

    def runs(self) -> list[dict[str, Any]]:
        """Every manager run, newest first."""
        query = sa.select(manager_runs).order_by(manager_runs.c.day.desc())
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def _insert_ignoring(self, table: sa.Table) -> Any:
        """INSERT that does nothing when a unique key is taken (both dialects say it)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()


def _equal(column: sa.Column[Any], value: Any) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _alert_row(alert: Alert) -> dict[str, Any]:
    row = {c.name: getattr(alert, c.name) for c in alerts.columns if c.name != "id"}
    row["dimensions"] = json.dumps(alert.dimensions, sort_keys=True)
    row["recipients"] = json.dumps(list(alert.recipients))
    row["revision_range"] = json.dumps(alert.revision_range) if alert.revision_range else None
    return row


def _alert(row: Any) -> Alert:
    values = dict(row)
    values["dimensions"] = json.loads(values["dimensions"])
    values["recipients"] = tuple(json.loads(values["recipients"]))
    revision = values["revision_range"]
    values["revision_range"] = json.loads(revision) if revision else None
    return Alert(**values)
