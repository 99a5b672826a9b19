"""``[alerts]`` of ``opwatch.toml``: where alerts are kept and how their owners are reached.

Secrets never live in the file: the Bugzilla API key and the SMTP password are read from the
environment variables the settings name.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class BugzillaSettings(BaseModel):
    """``[alerts.bugzilla]``: the tracker bugs are filed in."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="Base URL, e.g. https://bugzilla.mozilla.org.")
    product: str = Field(description="Product of the bugs filed.")
    component: str = Field(description="Component of the bugs filed.")
    api_key_env: str = Field(
        default="BUGZILLA_API_KEY", description="Environment variable holding the API key."
    )
    keywords: list[str] = Field(
        default_factory=lambda: ["opwatch-alert"], description="Keywords of the bugs filed."
    )
    version: str = Field(default="unspecified", description="Version field of the bugs filed.")


class EmailServerSettings(BaseModel):
    """``[alerts.email]``: the SMTP server monitor-only alerts are mailed through."""

    model_config = ConfigDict(extra="forbid")
    host: str = Field(default="localhost", description="SMTP host.")
    port: int = Field(default=25, gt=0, description="SMTP port.")
    sender: str = Field(default="opwatch@localhost", description="From address.")
    username: str | None = Field(default=None, description="Login, when the server wants one.")
    password_env: str = Field(
        default="OPWATCH_SMTP_PASSWORD", description="Environment variable holding the password."
    )
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    ssl: bool = Field(default=False, description="Connect over TLS from the start (port 465).")


class AlertSettings(BaseModel):
    """``[alerts]``: the alert store, the owners' settings and the services to notify."""

    model_config = ConfigDict(extra="forbid")
    store: str | None = Field(
        default=None,
        description="Alert store, a SQLAlchemy URL (default: SQLite alerts.sqlite in the "
        "results folder); PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    metrics_yaml: list[Path] = Field(
        default_factory=list,
        description="Glean metrics.yaml files whose metadata.monitor says who monitors what.",
    )
    dashboard_url: str = Field(
        default="http://127.0.0.1:8000", description="Where opwatch serve is reached (links)."
    )
    pushlog_url: str | None = Field(
        default=None,
        description="A Mercurial pushlog, e.g. https://hg.mozilla.org/mozilla-central: alerts "
        "then name the range of changes to look at.",
    )
    link_window_days: int = Field(
        default=14,
        ge=0,
        description="An alert on a metric with an open bug for a change at most this many "
        "days away joins that bug instead of filing another.",
    )
    bugzilla: BugzillaSettings | None = Field(default=None, description="See [alerts.bugzilla].")
    email: EmailServerSettings | None = Field(default=None, description="See [alerts.email].")
    webhooks: list[str] = Field(
        default_factory=list, description="URLs every new alert is POSTed to as JSON."
    )
