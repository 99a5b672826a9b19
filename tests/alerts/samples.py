"""Alerts made by hand for tests of the store, the web pages and the API (the manager makes
its own in tests/alerts/test_workflow.py)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from opwatch.alerts.model import Alert

GC_WINDOWS = Alert(
    project="opwatch-demo",
    metric="gc_ms",
    statistic="percentile",
    parameter="95",
    branch="treatment",
    dimensions={"os": "Windows"},
    xaxis="submission_date",
    position="2026-10-20",
    previous_position="2026-10-19",
    source="detection:binseg",
    direction="up",
    before=10.0,
    after=15.0,
    relative_change=0.5,
    p_value=0.001,
    message="gc_ms p95 rose 50 % on treatment",
    route="bug",
    recipients=("owner@example.com",),
    group_key="opwatch-demo:2026-10-20",
    day=date(2026, 10, 21),
    created_at=datetime(2026, 10, 21, 6, 0),
    updated_at=datetime(2026, 10, 21, 6, 0),
)
"""The planted kind of alert: a p95 regression on Windows, in a bug."""


def sample_alert(**changes: Any) -> Alert:
    """``GC_WINDOWS`` with ``changes`` (its key made again from the new series)."""
    return dataclasses.replace(GC_WINDOWS, key="", **changes)
