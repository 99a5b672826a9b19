"""The one registry pattern, and each registry as the single source of its valid names.

Configuration validates names before anything runs, but it sits below the parts it names
(it may not import engines, statistics or alerts): where it keeps a list of its own, these
tests pin the list to the registry's, so that adding a part without teaching the config (or
the reverse) fails here and not in a user's run.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, get_args

import pytest

from opwatch.alerts.notifiers import NOTIFIERS, Notifiers
from opwatch.alerts.rules import RULES
from opwatch.config.alert_settings import AlertSettings
from opwatch.config.models import (
    DEFAULT_PERCENTILES,
    HISTOGRAM_STATISTICS,
    AlertSpec,
    BucketsSpec,
    StatisticsSpec,
)
from opwatch.config.settings import EngineSettings
from opwatch.detect import TECHNIQUES
from opwatch.engines import ENGINES
from opwatch.registry import Registry, UnknownNameError
from opwatch.stats import STATISTICS
from opwatch.stats import registry as stats_registry
from opwatch.stats.buckets import LAYOUT_KINDS

ALWAYS_COMPUTED = {"histogram"}
"""Statistics computed for every histogram metric without being configured (the mean
histogram, which the dashboards draw)."""


def _literal(model: Any, field: str) -> set[str]:
    return set(get_args(model.model_fields[field].annotation))


def test_config_names_the_statistics_the_registry_has() -> None:
    assert set(StatisticsSpec.model_fields) == set(STATISTICS["scalar"].names())
    assert set(HISTOGRAM_STATISTICS) | ALWAYS_COMPUTED == set(STATISTICS["histogram"].names())
    assert tuple(DEFAULT_PERCENTILES) == stats_registry.DEFAULT_PERCENTILES


def test_config_names_the_bucket_layouts_the_statistics_know() -> None:
    assert _literal(BucketsSpec, "kind") == set(LAYOUT_KINDS)


def test_config_names_the_engines_and_alert_rules_the_registries_have() -> None:
    assert _literal(EngineSettings, "name") == set(ENGINES.names())
    assert _literal(AlertSpec, "type") == set(RULES.names())


@pytest.mark.parametrize("registry", [ENGINES, NOTIFIERS], ids=["engines", "notifiers"])
def test_every_lazy_part_imports_under_its_name(registry: Registry[Any]) -> None:
    for name, part in registry.items():
        assert part.name == name


def test_every_registered_technique_and_statistic_carries_its_name() -> None:
    for name, technique in TECHNIQUES.items():
        assert technique.name == name
    for metric_type, statistics in STATISTICS.items():
        for name, statistic in statistics.items():
            assert statistic.name == name and metric_type in statistic.metric_types


def test_each_notifier_is_made_from_its_settings_and_only_then() -> None:
    configured = AlertSettings.model_validate(
        {
            "bugzilla": {"url": "http://127.0.0.1:9", "product": "P", "component": "C"},
            "email": {"host": "127.0.0.1"},
            "webhooks": ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"],
        }
    )
    made = Notifiers.of_settings(configured)
    try:
        assert {name: len(clients) for name, clients in made.clients.items()} == {
            "bugzilla": 1,
            "email": 1,
            "webhook": 2,
        }
        assert [poster.target for poster in made.posters()] == [
            "http://127.0.0.1:9/a",
            "http://127.0.0.1:9/b",
        ]
        assert made.bugzilla is not None and made.email is not None
    finally:
        made.close()
    assert Notifiers.of_settings(AlertSettings()).clients == {}


def test_an_unknown_name_lists_the_valid_ones_with_a_guess() -> None:
    with pytest.raises(UnknownNameError) as raised:
        ENGINES.get("duckbd")
    assert str(raised.value) == (
        'unknown engine "duckbd"; did you mean "duckdb"? (valid: bigquery, duckdb, spark)'
    )
    with pytest.raises(UnknownNameError, match=r"^unknown alert rule type \"x\" \(valid: "):
        RULES.get("x")


def test_a_registry_resolves_aliases_and_refuses_a_second_part_of_one_name() -> None:
    parts: Registry[int] = Registry("number", aliases={"default": "one"})
    parts.add("one", 1)
    assert parts.get("default") == 1 and "default" in parts and parts.resolve("default") == "one"
    assert parts.names() == ("one",) and parts.names(aliases=True) == ("default", "one")
    with pytest.raises(ValueError, match="registered twice"):
        parts.add("one", 2)
    with pytest.raises(UnknownNameError, match='did you mean "one"'):
        parts.get("onw")


def test_naming_the_lazy_parts_imports_none_of_them() -> None:
    code = (
        "import sys; from opwatch.engines import ENGINES; "
        "from opwatch.alerts.notifiers import NOTIFIERS; "
        "print(ENGINES.names(), NOTIFIERS.names()); "
        "print(sorted(m for m in ('duckdb', 'httpx', 'smtplib', 'opwatch.engines.duckdb', "
        "'opwatch.alerts.bugzilla') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert found == [
        "('bigquery', 'duckdb', 'spark') ('bugzilla', 'email', 'webhook')",
        "[]",
    ]
