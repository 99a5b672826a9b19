"""From ``opwatch.toml``'s ``[alerts]`` to a ready alert manager (store, notifiers, resolver),
so that the CLI, the demo and tests build it alike."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opwatch.alerts.bugzilla import BugzillaClient
from opwatch.alerts.email import EmailSender, EmailSettings
from opwatch.alerts.ingest import Ingest
from opwatch.alerts.manager import AlertManager, Notifiers
from opwatch.alerts.monitoring import read_metrics_yaml
from opwatch.alerts.revisions import PushlogResolver
from opwatch.alerts.store import AlertStore
from opwatch.alerts.webhook import WebhookSender
from opwatch.config.alert_settings import AlertSettings, EmailServerSettings
from opwatch.config.settings import Settings
from opwatch.engines import create_engine
from opwatch.pipeline.state import RunState
from opwatch.results import ResultsReader


def open_store(settings: Settings) -> AlertStore:
    """The configured alert store (migrated), else SQLite in the results folder."""
    if settings.alerts.store:
        return AlertStore(settings.alerts.store)
    return AlertStore.in_folder(settings.engine.results)


def notifiers(alerts: AlertSettings) -> Notifiers:
    """Clients of the configured services (secrets from the environment)."""
    bugzilla = None
    if alerts.bugzilla is not None:
        key = os.environ.get(alerts.bugzilla.api_key_env)
        bugzilla = BugzillaClient(alerts.bugzilla.url, key)
    email = EmailSender(_email_settings(alerts.email)) if alerts.email else None
    webhooks = [WebhookSender(url) for url in alerts.webhooks]
    return Notifiers(bugzilla, alerts.bugzilla, email, webhooks)


@contextmanager
def open_manager(settings: Settings, lookback_days: int = 14) -> Iterator[AlertManager]:
    """A manager over the results of ``settings``; every client closed afterwards."""
    engine = create_engine(settings)
    store = open_store(settings)
    resolver = PushlogResolver(settings.alerts.pushlog_url) if settings.alerts.pushlog_url else None
    services = notifiers(settings.alerts)
    try:
        reader = ResultsReader(engine, RunState.of_settings(settings))
        monitors = read_metrics_yaml(settings.alerts.metrics_yaml)
        ingest = Ingest(reader, store, monitors, resolver, lookback_days)
        yield AlertManager(store, ingest, services, settings.alerts)
    finally:
        services.close()
        if resolver is not None:
            resolver.close()
        store.close()
        engine.close()


def _email_settings(server: EmailServerSettings) -> EmailSettings:
    return EmailSettings(
        host=server.host,
        port=server.port,
        sender=server.sender,
        username=server.username,
        password=os.environ.get(server.password_env),
        starttls=server.starttls,
        ssl=server.ssl,
    )
