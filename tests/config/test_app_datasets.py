"""``{dataset}`` is the app of the platform on the channel, else the data source's default."""

from __future__ import annotations

from opwatch.config.app_datasets import app_dataset


def test_glean_apps_by_channel() -> None:
    assert app_dataset("fenix", "release") == "org_mozilla_firefox"
    assert app_dataset("fenix", "nightly") == "org_mozilla_fenix"
    assert app_dataset("firefox_ios", "beta") == "org_mozilla_ios_firefoxbeta"
    assert app_dataset("monitor_cirrus", "release") == "monitor_cirrus"


def test_no_app_means_the_default_dataset() -> None:
    assert app_dataset("firefox_desktop", "release") is None
    assert app_dataset("klar_ios", "beta") is None  # Klar ships on release only
    assert app_dataset("fenix", None) is None
    assert app_dataset(None, "release") is None
