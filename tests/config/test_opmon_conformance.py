"""opwatch resolves every project as OpMon does, with Mozilla's own parser as the oracle.

Each corpus project, and a synthetic metric-hub tree for each merge rule the corpus does not
exercise, is resolved twice: by ``mozilla-metric-config-parser`` merged the way OpMon's command
line merges it (``tests/config/opmon_oracle.py``), and by opwatch. Both must give the same
x-axis, population data source, dimensions, metric data sources and SQL, types, and statistics.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from opwatch.config import ConfigLoader, Settings
from opwatch.config.diagnostics import Diagnostic, Severity
from opwatch.config.experiments import ExperimentCatalog
from tests.config.opmon_oracle import (
    Resolution,
    differences,
    opmon_experiment,
    opmon_resolution,
    opwatch_resolution,
    sql,
)
from tests.conftest import CORPUS

METRIC_HUB = CORPUS / "metric-hub"
CORPUS_PROJECTS = sorted((METRIC_HUB / "opmon").glob("*.toml"))


@pytest.fixture(scope="module")
def loader() -> ConfigLoader:
    """One loader for the corpus: shared files are read once, as in ``opwatch validate``."""
    return ConfigLoader(Settings())


def opwatch_load(
    path: Path, loader: ConfigLoader | None = None, catalog: ExperimentCatalog | None = None
) -> tuple[Resolution, list[Diagnostic]]:
    project, diagnostics = (loader or ConfigLoader(Settings(), catalog)).load(path)
    errors = [d.format() for d in diagnostics if d.severity is Severity.ERROR]
    assert project is not None, "\n".join(errors)
    return opwatch_resolution(project), diagnostics


@pytest.mark.parametrize("path", CORPUS_PROJECTS, ids=[p.stem for p in CORPUS_PROJECTS])
def test_corpus_project_resolves_as_opmon_does(path: Path, loader: ConfigLoader) -> None:
    expected = opmon_resolution(METRIC_HUB, path.stem)
    actual, _ = opwatch_load(path, loader)
    assert differences(expected, actual) == []


def test_the_corpus_is_all_there() -> None:
    """The suite covers the 32 projects of the shared corpus (and any added later)."""
    assert len(CORPUS_PROJECTS) >= 32


# --- synthetic metric-hub trees, one per rule -------------------------------------------------

DEFINITIONS = """
[metrics.retained]
select_expression = "COALESCE(SUM(pings_aggregated_by_this_row), 0) > 0"
data_source = "clients_daily"
friendly_name = "Retained"

[metrics.uri_count]
select_expression = "SUM(scalar_parent_browser_engagement_total_uri_count_sum)"
data_source = "clients_daily"

[metrics.gc_ms]
select_expression = "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_ms) IGNORE NULLS)"
data_source = "main"
type = "histogram"

[metrics.gc_slice_during_idle]
select_expression = "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_slice_during_idle))"
data_source = "main"
type = "histogram"

[metrics.memory_total]
select_expression = "ARRAY_AGG(mozfun.hist.extract(payload.histograms.memory_total))"
data_source = "main"
type = "histogram"

[data_sources.main]
from_expression = "mozdata.telemetry.main"
submission_date_column = "DATE(submission_timestamp)"
experiments_column_type = "native"

[data_sources.clients_daily]
from_expression = "mozdata.telemetry.clients_daily"

[dimensions.os]
select_expression = "normalized_os"
data_source = "main"

[dimensions.channel]
select_expression = "normalized_channel"
data_source = "main"
"""

MONITORING_DEFINITIONS = """
[metrics.gc_ms.statistics]
percentile = { percentiles = [25, 50, 75, 95] }

[metrics.gc_slice_during_idle.statistics]
percentile = {}

[metrics.uri_count.statistics]
mean = {}
percentile = {}
"""

DEFAULTS = """
[project]
platform = "firefox_desktop"
xaxis = "submission_date"
metrics = ["retained", "uri_count"]

[project.population]
data_source = "main"
dimensions = ["os"]

[metrics.retained]
select_expression = "IF(COALESCE(SUM(pings_aggregated_by_this_row), 0) > 0, 1, 0)"

[metrics.retained.statistics]
mean = {}

[metrics.uri_count.statistics]
sum = {}

[data_sources.main]
from_expression = "mozdata.telemetry.main_1pct"
"""

ROLLOUT_DEFAULTS = """
[project]
metrics = ["memory_total"]

[metrics.memory_total.statistics]
percentile = {}
"""

FENIX_DEFINITIONS = """
[metrics.startups]
select_expression = "COUNT(*)"
data_source = "baseline"

[metrics.startups.statistics]
sum = {}

[data_sources.baseline]
from_expression = '''(SELECT *, DATE(submission_timestamp) AS submission_date
    FROM `moz-fx-data-shared-prod.{dataset}.baseline`)'''
client_id_column = "client_info.client_id"
default_dataset = "fenix"
"""


def metric_hub(root: Path, project: str, *, slug: str = "case") -> Path:
    """A metric-hub tree with the shared files above and one project; its project file."""
    files = {
        "definitions/firefox_desktop.toml": DEFINITIONS,
        "definitions/fenix.toml": FENIX_DEFINITIONS,
        "opmon/definitions/firefox_desktop.toml": MONITORING_DEFINITIONS,
        "opmon/defaults/firefox_desktop.toml": DEFAULTS,
        "opmon/defaults/rollout.toml": ROLLOUT_DEFAULTS,
        f"opmon/{slug}.toml": textwrap.dedent(project),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "opmon" / f"{slug}.toml"


def statistics_of(resolution: Resolution, metric: str) -> set[tuple[str, tuple[float, ...] | None]]:
    return {(name, p) for m, name, p in resolution.statistics if m == metric}


PERCENTILES_25_95 = (25.0, 50.0, 75.0, 95.0)
OPMON_DEFAULT = (50.0, 90.0, 99.0)

Expectation = Callable[[Resolution], None]


def defaults_win_over_definitions(r: Resolution) -> None:
    retained = r.metrics["retained"]
    assert retained[3] == "IF(COALESCE(SUM(pings_aggregated_by_this_row), 0) > 0, 1, 0)"
    assert r.population[1] == "mozdata.telemetry.main_1pct"
    assert statistics_of(r, "uri_count") == {("sum", None)}  # not the definitions' mean too


def project_statistics_replace_inherited(r: Resolution) -> None:
    assert statistics_of(r, "uri_count") == {("count", None)}
    assert statistics_of(r, "gc_ms") == {("percentile", (10.0, 90.0))}


def one_field_keeps_the_others(r: Resolution) -> None:
    data_source, from_sql, _, select, kind = r.metrics["gc_ms"]
    assert (data_source, from_sql) == ("main_nightly", "mozdata.telemetry.main_nightly")
    assert "payload.histograms.gc_ms" in select and kind == "histogram"
    assert r.population[2] == "DATE(submission_timestamp)"  # main's column kept


def wildcard_reaches_earlier_metrics(r: Resolution) -> None:
    for metric in ("gc_ms", "gc_slice_during_idle"):
        assert statistics_of(r, metric) == {("percentile", (10.0, 90.0))}
    assert statistics_of(r, "gc_custom") == {("sum", None)}  # defined in the same file
    assert statistics_of(r, "uri_count") == {("sum", None)}


def wildcard_data_source(r: Resolution) -> None:
    assert r.population[1] == "mozdata.telemetry.main_nightly"
    assert r.metrics["uri_count"][1] == "mozdata.telemetry.clients_daily"


def no_defaults_layer_when_skipped(r: Resolution) -> None:
    assert set(r.metrics) == {"gc_ms"}
    assert r.population[1] == "mozdata.telemetry.main"  # not the defaults' main_1pct
    assert r.dimensions == {}


def rollout_defaults_for_rollouts(r: Resolution) -> None:
    assert set(r.metrics) == {"retained", "uri_count", "gc_ms", "memory_total"}
    assert statistics_of(r, "memory_total") == {("percentile", OPMON_DEFAULT)}


def repeated_names_count_once(r: Resolution) -> None:
    assert set(r.metrics) == {"retained", "uri_count", "gc_ms"}
    assert set(r.dimensions) == {"os"}


def dimensions_add_up(r: Resolution) -> None:
    assert set(r.dimensions) == {"os", "channel"}
    assert r.xaxis == "build_id"
    assert r.population[0] == "clients_daily"


def dataset_of_the_channel(r: Resolution) -> None:
    assert "`moz-fx-data-shared-prod.org_mozilla_firefox_beta.baseline`" in r.population[1]


def default_dataset_without_channel(r: Resolution) -> None:
    assert "`moz-fx-data-shared-prod.fenix.baseline`" in r.population[1]


CASES: dict[str, tuple[str, Expectation]] = {
    "defaults win over definitions": (
        """
        [project]
        name = "precedence"
        metrics = ["gc_ms"]
        """,
        defaults_win_over_definitions,
    ),
    "a project's statistics replace the inherited ones": (
        """
        [project]
        metrics = ["gc_ms"]

        [metrics.uri_count.statistics]
        count = {}

        [metrics.gc_ms.statistics]
        percentile = { percentiles = [10, 90] }
        """,
        project_statistics_replace_inherited,
    ),
    "a field set alone replaces only that field": (
        """
        [project]
        metrics = ["gc_ms"]

        [metrics.gc_ms]
        data_source = "main_nightly"

        [data_sources.main_nightly]
        from_expression = "mozdata.telemetry.main_nightly"
        """,
        one_field_keeps_the_others,
    ),
    "a wildcard reaches the metrics of earlier layers": (
        """
        [project]
        metrics = ["gc_ms", "gc_slice_during_idle", "gc_custom"]

        [metrics."gc_*".statistics]
        percentile = { percentiles = [10, 90] }

        [metrics.gc_custom]
        select_expression = "SUM(gc_custom)"
        data_source = "main"

        [metrics.gc_custom.statistics]
        sum = {}
        """,
        wildcard_reaches_earlier_metrics,
    ),
    "a wildcard data source": (
        """
        [project]
        metrics = ["gc_ms"]

        [data_sources."ma?n*"]
        from_expression = "mozdata.telemetry.main_nightly"
        """,
        wildcard_data_source,
    ),
    "skip_default_metrics skips the defaults layer": (
        """
        [project]
        skip_default_metrics = true
        metrics = ["gc_ms"]

        [project.population]
        data_source = "main"
        """,
        no_defaults_layer_when_skipped,
    ),
    "repeated names count once": (
        """
        [project]
        metrics = ["gc_ms", "retained", "gc_ms"]

        [project.population]
        dimensions = ["os", "os"]
        """,
        repeated_names_count_once,
    ),
    "dimensions add up, other population fields replace": (
        """
        [project]
        xaxis = "build_id"
        metrics = ["gc_ms"]

        [project.population]
        data_source = "clients_daily"
        dimensions = ["channel"]
        """,
        dimensions_add_up,
    ),
    "{dataset} is the app of the population's channel": (
        """
        [project]
        platform = "fenix"
        metrics = ["startups"]

        [project.population]
        data_source = "baseline"
        channel = "beta"
        """,
        dataset_of_the_channel,
    ),
    "{dataset} is the default dataset without a channel": (
        """
        [project]
        platform = "fenix"
        metrics = ["startups"]

        [project.population]
        data_source = "baseline"
        """,
        default_dataset_without_channel,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_merge_rule_agrees_with_opmon(case: str, tmp_path: Path) -> None:
    project, expectation = CASES[case]
    path = metric_hub(tmp_path, project)
    expected = opmon_resolution(tmp_path, "case")
    actual, _ = opwatch_load(path)
    assert differences(expected, actual) == []
    expectation(actual)


def test_rollout_defaults_apply_to_rollouts(tmp_path: Path) -> None:
    """The rollout defaults join when the experiment metadata calls the slug a rollout."""
    path = metric_hub(tmp_path, '[project]\nmetrics = ["gc_ms"]\n', slug="a-rollout")
    metadata = [{"slug": "a-rollout", "appName": "firefox_desktop", "isRollout": True}]
    catalog = ExperimentCatalog.parse(json.dumps(metadata), "metadata.json")
    experiment = opmon_experiment("a-rollout", "firefox_desktop", is_rollout=True)
    expected = opmon_resolution(tmp_path, "a-rollout", experiment)
    actual, _ = opwatch_load(path, catalog=catalog)
    assert differences(expected, actual) == []
    rollout_defaults_for_rollouts(actual)
    not_a_rollout, _ = opwatch_load(path)
    assert "memory_total" not in not_a_rollout.metrics


def test_repeated_names_are_warnings_on_their_lines(tmp_path: Path) -> None:
    path = metric_hub(tmp_path, CASES["repeated names count once"][0])
    _, diagnostics = opwatch_load(path)
    repeated = [d for d in diagnostics if "listed more than once" in d.message]
    assert [(d.key_path, d.line, d.severity) for d in repeated] == [
        ("project.metrics", 3, Severity.WARNING),
        ("project.population.dimensions", 6, Severity.WARNING),
    ]


def test_a_wildcard_matching_nothing_is_a_warning(tmp_path: Path) -> None:
    path = metric_hub(
        tmp_path, '[project]\nmetrics = ["gc_ms"]\n\n[metrics."cc_*".statistics]\nsum = {}\n'
    )
    _, diagnostics = opwatch_load(path)
    [warning] = [d for d in diagnostics if "cc_*" in d.message]
    assert warning.severity is Severity.WARNING and warning.line == 4


def test_sql_comparison_ignores_only_layout() -> None:
    assert sql("SUM(x)\n") == sql("  SUM(x)") == "SUM(x)"
    assert sql("SUM(x) > 0") != sql("SUM(x)")
