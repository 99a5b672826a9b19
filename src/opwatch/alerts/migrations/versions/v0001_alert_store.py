"""The first alert store: alerts, bugs, deliveries, manager runs.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables (frozen: later changes go in new revisions)."""
    op.create_table(
        "alerts",
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
    op.create_index("ix_alerts_project_status", "alerts", ["project", "status"])
    op.create_index("ix_alerts_group", "alerts", ["group_key"])
    op.create_table(
        "bugs",
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
    op.create_table(
        "deliveries",
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
    op.create_table(
        "manager_runs",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("counts", sa.Text),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    """Drop them, dependants first."""
    for table in ("deliveries", "bugs", "manager_runs", "alerts"):
        op.drop_table(table)
