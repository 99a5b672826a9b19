"""From ``opwatch.toml``'s ``[alerts]`` to a ready alert manager (store, notifiers, resolver),
so that the CLI, the demo and tests build it alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opwatch.alerts.ingest import Ingest
from opwatch.alerts.manager import AlertManager
from opwatch.alerts.monitoring import read_metrics_yaml
from opwatch.alerts.notifiers import Notifiers
from opwatch.alerts.revisions import PushlogResolver
from opwatch.alerts.store import AlertStore
from opwatch.config.settings import Settings
from opwatch.results import ResultsReader


@contextmanager
def open_manager(settings: Settings, lookback_days: int = 14) -> Iterator[AlertManager]:
    """A manager over the results of ``settings``; every client closed afterwards."""
    reader = ResultsReader.of_settings(settings)
    store = AlertStore.of_settings(settings)
    resolver = PushlogResolver(settings.alerts.pushlog_url) if settings.alerts.pushlog_url else None
    services = Notifiers.of_settings(settings.alerts)
    try:
        monitors = read_metrics_yaml(settings.alerts.metrics_yaml)
        ingest = Ingest(reader, store, monitors, resolver, lookback_days)
        yield AlertManager(store, ingest, services, settings.alerts)
    finally:
        services.close()
        if resolver is not None:
            resolver.close()
        store.close()
        reader.close()
