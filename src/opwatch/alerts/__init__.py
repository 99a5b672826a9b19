"""Alerts: detections and rule hits become alerts, alerts become bugs and emails for the
metrics' owners, and resolutions flow back (see docs/alerts.md)."""
