"""The dataset OpMon puts in ``{dataset}``: the project's Glean app on its channel.

OpMon renders a data source's ``from_expression`` with the BigQuery dataset of the project's
platform on the population's channel, taken from its platform configuration: the application id
with every character outside ``[a-zA-Z0-9]`` replaced by ``_``, lower-cased
(``org.mozilla.firefox_beta`` → ``org_mozilla_firefox_beta``). When the platform has no
application on that channel, or the project names no channel, the data source's
``default_dataset`` is used.
"""

from __future__ import annotations

import re

APP_IDS: dict[str, dict[str, str]] = {
    "fenix": {
        "release": "org.mozilla.firefox",
        "beta": "org.mozilla.firefox_beta",
        "nightly": "org.mozilla.fenix",
    },
    "firefox_ios": {
        "release": "org.mozilla.ios.Firefox",
        "beta": "org.mozilla.ios.FirefoxBeta",
        "nightly": "org.mozilla.ios.Fennec",
    },
    "focus_android": {
        "release": "org.mozilla.focus",
        "beta": "org.mozilla.focus.beta",
        "nightly": "org.mozilla.focus.nightly",
    },
    "focus_ios": {"release": "org.mozilla.ios.Focus"},
    "klar_android": {"release": "org.mozilla.klar"},
    "klar_ios": {"release": "org.mozilla.ios.Klar"},
    "monitor_cirrus": {"release": "monitor.cirrus"},
}
"""Application ids per platform and channel (OpMon's ``platform_config.toml``); desktop has
none, its tables are not per application."""


def app_dataset(platform: str | None, channel: str | None) -> str | None:
    """The dataset of ``platform``'s application on ``channel``, if it has one there."""
    app_id = APP_IDS.get(platform or "", {}).get(channel or "")
    return re.sub(r"[^a-zA-Z0-9]", "_", app_id).lower() if app_id else None
