"""Alembic's entry point for the alert store: migrate the connection the store hands over."""

from __future__ import annotations

from alembic import context

from opwatch.alerts.schema import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
