"""The physical tables the generator writes, and the names configs know them by.

Each table belongs to an application family whose population and day of pings it is built
from (desktop, Fenix, Firefox iOS), is written by one template, and is read under every name
that corpus configs use for it: the same files serve ``mozdata.telemetry.main_1pct`` and
``moz-fx-data-shared-prod.telemetry_stable.main_v5`` (samples and channel subsets of the real
tables are the whole table here; configs filter what they need).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DESKTOP, FENIX, FIREFOX_IOS = "desktop", "fenix", "firefox_ios"


@dataclass(frozen=True)
class Table:
    """A physical table: its folder name, family, template and config names."""

    name: str
    family: str
    template: str
    config_names: tuple[str, ...]


def _names(*datasets_tables: str) -> tuple[str, ...]:
    """Each ``dataset.table`` under the ``mozdata`` and ``moz-fx-data-shared-prod`` projects."""
    return tuple(
        f"{project}.{name}"
        for name in datasets_tables
        for project in ("mozdata", "moz-fx-data-shared-prod")
    )


MAIN_NAMES = _names(
    "telemetry.main", "telemetry.main_1pct", "telemetry.main_nightly",
    "telemetry_stable.main_v5", "telemetry_stable.main_v4",
    "telemetry_derived.main_1pct_v1", "telemetry_derived.main_nightly_v1",
)  # fmt: skip
TABLES: tuple[Table, ...] = (
    Table("main", DESKTOP, "main.sql.j2", MAIN_NAMES),
    Table("crash", DESKTOP, "crash.sql.j2", _names("telemetry.crash", "telemetry_stable.crash_v4")),
    Table("events", DESKTOP, "events.sql.j2", _names("telemetry.events")),
    Table("clients_daily", DESKTOP, "clients_daily.sql.j2",
          _names("telemetry.clients_daily", "telemetry_derived.clients_daily_v6")),
    Table("search_clients_engines_sources_daily", DESKTOP,
          "search_clients_engines_sources_daily.sql.j2",
          _names("search.search_clients_engines_sources_daily")),
    Table("uninstall", DESKTOP, "uninstall.sql.j2",
          _names("telemetry.uninstall", "telemetry_stable.uninstall_v4")),
    Table("default_browser", DESKTOP, "default_browser.sql.j2",
          _names("default_browser_agent.default_browser",
                 "default_browser_agent_stable.default_browser_v1")),
    Table("messaging_system", DESKTOP, "messaging_system.sql.j2",
          _names("firefox_desktop.messaging_system",
                 "firefox_desktop_stable.messaging_system_v1")),
    Table("background_update", DESKTOP, "background_update.sql.j2",
          _names("firefox_desktop_background_update.background_update",
                 "firefox_desktop_background_update_stable.background_update_v1")),
    Table("fenix_baseline", FENIX, "glean_baseline.sql.j2",
          _names("org_mozilla_firefox.baseline", "fenix.baseline")),
    Table("fenix_metrics", FENIX, "fenix_metrics.sql.j2",
          _names("org_mozilla_firefox.metrics", "fenix.metrics")),
    Table("mobile_search_clients_engines_sources_daily", FENIX,
          "mobile_search_clients_engines_sources_daily.sql.j2",
          _names("search.mobile_search_clients_engines_sources_daily")),
    Table("firefox_ios_baseline", FIREFOX_IOS, "glean_baseline.sql.j2",
          _names("org_mozilla_ios_firefox.baseline", "firefox_ios.baseline")),
    Table("firefox_ios_events", FIREFOX_IOS, "ios_events.sql.j2",
          _names("org_mozilla_ios_firefox.events", "firefox_ios.events")),
)  # fmt: skip
TABLE_NAMES = frozenset(table.name for table in TABLES)


def selected_tables(names: frozenset[str] | None) -> tuple[Table, ...]:
    """The tables of ``names`` (all when ``None``), in generation order."""
    if names is None:
        return TABLES
    unknown = sorted(names - TABLE_NAMES)
    if unknown:
        raise ValueError(
            f"unknown demo table {unknown[0]!r}; known tables: {', '.join(sorted(TABLE_NAMES))}"
        )
    return tuple(table for table in TABLES if table.name in names)


def tables_named(names: Iterable[str]) -> frozenset[str] | None:
    """The physical tables behind config table names (``project.dataset.table``, or
    ``dataset.table``); None when one of them is not a generated table, so that everything is
    generated for a config the generator does not know."""
    by_name = {
        ".".join(name.split(".")[-2:]): table.name
        for table in TABLES
        for name in table.config_names
    }
    found = set()
    for name in names:
        physical = by_name.get(".".join(name.split(".")[-2:]))
        if physical is None:
            return None
        found.add(physical)
    return frozenset(found)
