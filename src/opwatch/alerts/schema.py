"""The alert store's tables, as SQLAlchemy Core objects for queries.

The schema itself is made by the migrations (``migrations/versions``), which freeze each
version of it; this module must describe the newest one.

- ``alerts``: one row per change found (a detection or an ``[alerts]`` rule hit) on a
  monitored metric, unique by ``key``, so that reading the same detections again adds nothing.
- ``bugs``: one row per bug filed, unique by ``group_key`` (alerts of one project that share a
  push range or detection point), with the resolution last read from the tracker.
- ``deliveries``: one row per alert, channel and target (an email address, a webhook URL, a
  bug comment): what was sent, so that a rerun sends nothing twice.
- ``manager_runs``: one row per day the manager ran, with its steps' counts (for the log and
  the Alerts page).
"""

from __future__ import annotations

import sqlalchemy as sa

VERSION_TABLE = "opwatch_alerts_version"
"""Alembic's version table, named so that it can share a database with other tools."""

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("metric", sa.String(255), nullable=False),
    sa.Column("statistic", sa.String(64), nullable=False),
    sa.Column("parameter", sa.String(64)),
    sa.Column("branch", sa.String(255)),
    sa.Column("dimensions", sa.Text, nullable=False),
    sa.Column("xaxis", sa.String(32), nullable=False),
    sa.Column("position", sa.String(32), nullable=False),
    sa.Column("previous_position", sa.String(32)),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("direction", sa.String(8)),
    sa.Column("before", sa.Float),
    sa.Column("after", sa.Float),
    sa.Column("relative_change", sa.Float),
    sa.Column("p_value", sa.Float),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("route", sa.String(16), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("group_key", sa.String(255), nullable=False),
    sa.Column("revision_range", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("bug_id", sa.Integer),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

bugs = sa.Table(
    "bugs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("group_key", sa.String(255), nullable=False, unique=True),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("metric", sa.String(255), nullable=False),
    sa.Column("position", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("resolution", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("synced_at", sa.DateTime),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("target", sa.String(512), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(255)),
    sa.Column("error", sa.Text),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("alert_id", "channel", "target", name="uq_deliveries_target"),
)

manager_runs = sa.Table(
    "manager_runs",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("counts", sa.Text),
    sa.Column("error", sa.Text),
)
