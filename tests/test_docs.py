"""Every configuration key and every command is documented: a missing one fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from opwatch.cli import app
from opwatch.config import models
from opwatch.config.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"
SECTIONS: dict[str, type[BaseModel]] = {
    "[project]": models.ProjectSpec,
    "[project.population]": models.PopulationSpec,
    "[project.statistics]": models.StatisticsSettingsSpec,
    "[metrics.<name>.buckets]": models.BucketsSpec,
    "[metrics.<name>.monitor]": models.MonitorSpec,
    "[project.metric_groups.<name>]": models.MetricGroupSpec,
    "[metrics.<name>]": models.MetricSpec,
    "[probes.<name>]": models.ProbeSpec,
    "[metrics.<name>.statistics]": models.StatisticsSpec,
    "`percentile` parameters": models.PercentileParameters,
    "`total_ratio` parameters": models.TotalRatioParameters,
    "[data_sources.<name>]": models.DataSourceSpec,
    "[data_sources.<name>.joins.<other>]": models.JoinSpec,
    "[dimensions.<name>]": models.DimensionSpec,
    "[segments.<name>]": models.SegmentSpec,
    "[segments.data_sources.<name>]": models.SegmentDataSourceSpec,
    "[functions.<name>]": models.FunctionSpec,
    "[parameters.<name>]": models.ParameterSpec,
    "[alerts.<name>]": models.AlertSpec,
}


def section(text: str, title: str) -> str:
    match = re.search(rf"^#+ `?{re.escape(title)}`?$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"docs/config-reference.md has no section {title}"
    return match.group(1)


@pytest.mark.parametrize("title", SECTIONS)
def test_every_key_is_documented(title: str) -> None:
    body = section((DOCS / "config-reference.md").read_text(), title)
    documented = set(re.findall(r"^\| `(\w+)` \|", body, re.M))
    assert documented == set(SECTIONS[title].model_fields)


def test_every_table_of_a_file_is_documented() -> None:
    text = (DOCS / "config-reference.md").read_text()
    for field in models.ConfigFile.model_fields:
        name = "segments.data_sources" if field == "segment_data_sources" else field
        assert f"## `[{name}." in text or f"## `[{name}]`" in text, field


def test_every_setting_is_documented() -> None:
    body = section((DOCS / "config-reference.md").read_text(), "Settings (`opwatch.toml`)")
    documented = set(re.findall(r"^\| `([\w.]+)` \|", body, re.M))
    groups = {group: field.annotation for group, field in Settings.model_fields.items()}
    expected = {
        f"{group}.{key}"
        for group, model in groups.items()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for key in model.model_fields
    }
    assert documented == expected


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in app.registered_commands:
        name = command.name or getattr(command.callback, "__name__", "")
        assert f"## `opwatch {name}`" in text


def test_cli_reference_is_generated_from_help() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_docs", DOCS.parent / "scripts/cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (DOCS / "cli.md").read_text() == module.render(), (
        "docs/cli.md is stale: run python scripts/cli_docs.py > docs/cli.md"
    )


def _registered() -> list[tuple[str, str]]:
    from opwatch.alerts.notifiers import NOTIFIERS
    from opwatch.alerts.rules import RULES
    from opwatch.detect import TECHNIQUES
    from opwatch.engines import ENGINES
    from opwatch.stats import STATISTICS

    parts = [("statistics.md", name) for kind in STATISTICS.values() for name in kind.names()]
    parts += [("detection.md", name) for name in TECHNIQUES.names()]
    parts += [("config-reference.md", name) for name in ENGINES.names()]
    parts += [("alerts.md", name) for name in (*RULES.names(), *NOTIFIERS.names())]
    return sorted(set(parts))


@pytest.mark.parametrize(("page", "name"), _registered())
def test_every_registered_part_is_documented(page: str, name: str) -> None:
    assert f"`{name}`" in (DOCS / page).read_text(), f"docs/{page} does not describe `{name}`"
