"""Every real configuration of the shared corpus validates, and merges the way the files say.

The merged values are checked against the TOML files read independently with ``tomllib``: the
project's own value where it sets one, else the defaults', else the definitions' (the full
comparison with OpMon's own parser is ``test_opmon_conformance.py``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from opwatch.config import Project, Severity, validate_paths
from opwatch.config.layers import LayerRole, role_of


def project_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.toml") if role_of(p) is LayerRole.PROJECT)


@pytest.fixture(scope="module")
def corpus_result(request: pytest.FixtureRequest) -> Any:
    from tests.conftest import CORPUS

    return validate_paths([CORPUS / "metric-hub", CORPUS / "opmon-config-2022"])


def test_every_corpus_file_validates_with_zero_errors(corpus_result: Any) -> None:
    assert [d.format() for d in corpus_result.report.errors] == []


def test_every_corpus_project_resolves(corpus_result: Any, corpus: Path) -> None:
    expected = {(p.stem, 1 if "opmon-config-2022" in str(p) else 2) for p in project_files(corpus)}
    resolved = {(p.slug, p.generation) for p in corpus_result.projects}
    assert resolved == expected
    assert len(expected) == 37


def test_only_warning_is_the_real_typo_in_shared_definitions(corpus_result: Any) -> None:
    warnings = [(d.file.name, d.key_path) for d in corpus_result.report.warnings]
    assert warnings == [("ads.toml", "data_sources.ad_metrics_daily.descriptions")]
    assert all(d.severity is Severity.WARNING for d in corpus_result.report.warnings)


def by_slug(result: Any, slug: str, generation: int) -> Project:
    return next(p for p in result.projects if p.slug == slug and p.generation == generation)


def read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def test_project_values_override_definitions(corpus_result: Any, corpus: Path) -> None:
    project = by_slug(corpus_result, "garbage_collection", 2)
    raw = read(corpus / "metric-hub/opmon/garbage_collection.toml")
    shared = read(corpus / "metric-hub/definitions/firefox_desktop.toml")
    gc_ms = project.metric("gc_ms")
    assert gc_ms.data_source == raw["metrics"]["gc_ms"]["data_source"] == "main_client_filtered"
    assert gc_ms.select_expression == shared["metrics"]["gc_ms"]["select_expression"]
    effectiveness = project.metric("gc_effectiveness")
    assert (
        effectiveness.select_expression == raw["metrics"]["gc_effectiveness"]["select_expression"]
    )
    assert [m.name for m in project.metrics] == raw["project"]["metrics"]
    assert project.alerts[0].parameters == tuple(raw["alerts"]["historical_diff"]["percentiles"])


def test_statistics_come_whole_from_the_highest_layer(corpus_result: Any, corpus: Path) -> None:
    slug = "bug-1660366-pref-ongoing-fission-nightly-experiment-nightly-83-100"
    project = by_slug(corpus_result, slug, 2)
    layers = [
        read(corpus / f"metric-hub/opmon/{slug}.toml"),
        read(corpus / "metric-hub/opmon/defaults/firefox_desktop.toml"),
        read(corpus / "metric-hub/opmon/definitions/firefox_desktop.toml"),
    ]
    from_defaults = 0
    for metric in project.metrics:
        highest = next(
            layer["metrics"][metric.name]["statistics"]
            for layer in layers
            if layer.get("metrics", {}).get(metric.name, {}).get("statistics")
        )
        from_defaults += highest is layers[1]["metrics"].get(metric.name, {}).get("statistics")
        assert {s.name for s in metric.statistics} == set(highest)
        for statistic in metric.statistics:
            configured = highest[statistic.name].get("percentiles")
            if configured:
                assert statistic.parameters["percentiles"] == configured
    assert from_defaults >= 5  # the defaults' metrics, e.g. uri_count without a percentile


def test_default_metrics_join_unless_skipped(corpus_result: Any, corpus: Path) -> None:
    defaults = read(corpus / "metric-hub/opmon/defaults/firefox_desktop.toml")
    default_metrics = defaults["project"]["metrics"]
    tcp = by_slug(corpus_result, "tcp-rollout", 2)
    listed = read(corpus / "metric-hub/opmon/tcp-rollout.toml")["project"]["metrics"]
    assert [m.name for m in tcp.metrics] == list(dict.fromkeys(default_metrics + listed))
    dau = by_slug(corpus_result, "desktop-dau", 2)
    assert not set(default_metrics) & {m.name for m in dau.metrics} - set(
        read(corpus / "metric-hub/opmon/desktop-dau.toml")["project"]["metrics"]
    )


def test_jinja_functions_are_expanded(corpus_result: Any, corpus: Path) -> None:
    functions = read(corpus / "metric-hub/definitions/functions.toml")["functions"]
    project = by_slug(corpus_result, "tcp-rollout", 2)
    active_hours = project.metric("active_hours")
    expected = functions["agg_sum"]["definition"].replace("{select_expr}", "active_hours_sum")
    assert active_hours.select_expression == expected
    assert "{{" not in " ".join(
        m.select_expression for p in corpus_result.projects for m in p.metrics
    )


def test_default_dataset_is_substituted(corpus_result: Any) -> None:
    project = by_slug(corpus_result, "android-add-ons-extension-process-release-rollout", 2)
    source = project.data_sources["baseline"]
    assert "`moz-fx-data-shared-prod.org_mozilla_firefox.baseline`" in source.from_expression
    assert "{dataset}" not in source.from_expression


def test_generation_one_probes_become_metrics(corpus_result: Any, corpus: Path) -> None:
    slug = "bug-1751308-pref-tab-unloading-on-low-memory-for-macos-release-97-98"
    project = by_slug(corpus_result, slug, 1)
    raw = read(corpus / f"opmon-config-2022/{slug}.toml")
    probes = read(corpus / "opmon-config-2022/definitions/firefox_desktop.toml")["probes"]
    assert [m.name for m in project.metrics] == raw["project"]["probes"]
    for metric in project.metrics:
        assert metric.type == probes[metric.name]["type"]
        assert metric.select_expression == probes[metric.name]["select_expression"]
    assert project.population.branches == tuple(raw["project"]["population"]["branches"])
    assert project.data_sources["main"].submission_date_column == "DATE(submission_timestamp)"
