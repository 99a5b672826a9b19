"""What clients do besides sending main or baseline pings: crash, record events, search...

Shares here are per client-day (crashes, searches) or per main ping (events); the templates
apply them to the day's pings so that every table describes the same clients and days.
"""

from __future__ import annotations

from dataclasses import dataclass

from opwatch.demo.telemetry.distributions import Distribution, cumulative

CRASH_PROCESS_TYPES = cumulative(
    {"content": 55, "main": 25, "gpu": 10, "rdd": 4, "utility": 3, "gmplugin": 3}
)
"""Which process a crash ping reports, by share of crashes."""
SEARCH_ENGINES = cumulative({"google": 70, "bing": 10, "ddg": 8, "yandex": 4, "other": 8})
MOBILE_SEARCH_SOURCES = cumulative(
    {"actionbar": 60, "suggestion": 25, "topsite": 10, "shortcut": 5}
)
SEARCH_SOURCES = cumulative(
    {"urlbar": 55, "urlbar-searchmode": 10, "searchbar": 10, "contextmenu": 8, "newtab": 12,
     "webextension": 5}
)  # fmt: skip


@dataclass(frozen=True)
class DesktopEvent:
    """An event of telemetry.events; ``share`` of main pings carry one."""

    category: str
    method: str
    object: str
    value: str | None
    share: float


DESKTOP_EVENTS = (
    DesktopEvent("memory_watcher", "on_high_memory", "stats", None, 0.15),
    DesktopEvent("navigation", "search", "urlbar", "enter", 0.35),
    DesktopEvent("security.ui.protections", "show", "protection_report", None, 0.05),
    DesktopEvent("pictureinpicture", "create", "player", None, 0.03),
)
"""The first event's value is drawn (see the memory distributions); others are constant."""
MEMORY_TAB_UNLOADS = Distribution.lognormal(2, 0.8)
MEMORY_PRESSURE_EVENTS = Distribution.lognormal(12, 1.0)
MEMORY_EVENT_INTERVAL_S = Distribution.lognormal(600, 1.2)

UNINSTALL_RATE = 0.004
"""Uninstall pings per Windows client-day."""
BACKGROUND_CRASH_RATE = 0.005
"""Background update task crashes per Windows client-day with a background update run."""
DEFAULT_BROWSERS = cumulative({"firefox": 35, "chrome": 40, "edge": 18, "brave": 3, "opera": 2,
                               "": 2})  # fmt: skip
"""The default browser the Windows agent reports ("" when it cannot tell)."""
MESSAGING_TYPES = cumulative(
    {"cfr": 20, "moments": 5, "infobar": 10, "spotlight": 15, "whats-new-panel": 5,
     "toolbar-badge": 15, "toast_notification": 5, "undesired-events": 10, "feature_callout": 8,
     "pb_newtab": 5, None: 2}
)  # fmt: skip
"""messaging_system ping types, a few missing (None) or not in the configs' list."""
