"""Alembic migrations of the alert store (applied by ``AlertStore`` when it opens)."""
