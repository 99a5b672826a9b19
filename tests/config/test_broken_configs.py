"""Broken configurations: each must yield one located, actionable diagnostic.

Every case asserts the file, the TOML key path, the line, and words of the message and hint, so
a regression in any of them (a lost line number, a vaguer message) fails the test. What OpMon
runs anyway (a key it ignores, a name listed twice) is a warning, so opwatch runs it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from opwatch.config import Severity, validate_paths
from opwatch.config.diagnostics import Diagnostic

VALID = """\
[project]
name = "Valid"
platform = "firefox_desktop"
xaxis = "submission_date"
start_date = "2024-01-01"
metrics = ["gc_ms", "uri_count"]

[project.population]
data_source = "main"
dimensions = ["os"]

[metrics.gc_ms.statistics]
percentile = { percentiles = [50, 95] }

[metrics.uri_count.statistics]
mean = {}
"""


@dataclass(frozen=True)
class Case:
    """A broken project and what its diagnostic must say."""

    name: str
    text: str
    key_path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR


def replace(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new)


CASES = [
    Case(
        "misspelled key",
        replace("xaxis =", "x_axis ="),
        "project.x_axis",
        4,
        'unknown key "x_axis"',
        'did you mean "xaxis"?',
        severity=Severity.WARNING,
    ),
    Case(
        "misspelled statistic",
        replace("mean = {}", "maen = {}"),
        "metrics.uri_count.statistics.maen",
        16,
        'unknown statistic "maen"',
        'did you mean "mean"?',
    ),
    Case(
        "misspelled table",
        VALID + "\n[dimension.os]\nselect_expression = 'x'\n",
        "dimension",
        18,
        'unknown table "dimension"',
        'did you mean "dimensions"?',
        severity=Severity.WARNING,
    ),
    Case(
        "wrong type: string for list",
        replace('metrics = ["gc_ms", "uri_count"]', 'metrics = "gc_ms"'),
        "project.metrics",
        6,
        'expected a list of strings, got string "gc_ms"',
        None,
    ),
    Case(
        "wrong type: number for boolean",
        replace('data_source = "main"\n', 'data_source = "main"\nmonitor_entire_population = 1\n'),
        "project.population.monitor_entire_population",
        10,
        "expected true or false, got integer 1",
        None,
    ),
    Case(
        "wrong value: xaxis",
        replace('xaxis = "submission_date"', 'xaxis = "build"'),
        "project.xaxis",
        4,
        '"build" is not allowed here',
        'did you mean "build_id"?',
    ),
    Case(
        "percentile out of range",
        replace("[50, 95]", "[50, 100]"),
        "metrics.gc_ms.statistics.percentile.percentiles[1]",
        13,
        "100 is out of range",
        "less than 100",
    ),
    Case(
        "undefined metric",
        replace('"gc_ms", "uri_count"]', '"gc_ms", "uri_cnt"]'),
        "project.metrics",
        6,
        'metric "uri_cnt" is not defined',
        'did you mean "uri_count"?',
    ),
    Case(
        "undefined data source",
        replace('data_source = "main"', 'data_source = "mian"'),
        "project.population.data_source",
        9,
        'data source "mian" is not defined',
        'did you mean "main"?',
    ),
    Case(
        "undefined dimension",
        replace('dimensions = ["os"]', 'dimensions = ["os", "country"]'),
        "project.population.dimensions",
        10,
        'dimension "country" is not defined',
        "looked for [dimensions.country] in:",
    ),
    Case(
        "undefined denominator metric",
        replace("mean = {}", 'total_ratio = { denominator_metric = "pings" }'),
        "metrics.uri_count.statistics.total_ratio.denominator_metric",
        16,
        'metric "pings" is not defined',
        "looked for [metrics.pings]",
    ),
    Case(
        "undefined alert",
        replace('start_date = "2024-01-01"', 'start_date = "2024-01-01"\nalerts = ["too_slow"]'),
        "project.alerts",
        6,
        'alert "too_slow" is not defined',
        None,
    ),
    Case(
        "undefined function in snippet",
        VALID + "\n[metrics.uri_count]\nselect_expression = '{{agg_summ(\"x\")}}'\n",
        "metrics.uri_count.select_expression",
        19,
        'undefined function "agg_summ"',
        'did you mean "agg_sum"?',
    ),
    Case(
        "bad date",
        replace('"2024-01-01"', '"2024-02-30"'),
        "project.start_date",
        5,
        "is not a calendar date",
        "YYYY-MM-DD",
    ),
    Case(
        "date in the wrong format",
        replace('"2024-01-01"', '"01/02/2024"'),
        "project.start_date",
        5,
        "is not a date in the form YYYY-MM-DD",
        None,
    ),
    Case(
        "end before start",
        replace('start_date = "2024-01-01"', 'start_date = "2024-01-01"\nend_date = "2023-12-31"'),
        "project.end_date",
        6,
        "end_date 2023-12-31 is before start_date 2024-01-01",
        "swap",
        severity=Severity.WARNING,
    ),
    Case(
        "bad SQL in select expression",
        VALID + '\n[metrics.crashes]\nselect_expression = "COUNTIF(a = )"\n'
        "[metrics.crashes.statistics]\nsum = {}\n",
        "metrics.crashes.select_expression",
        19,
        "SQL syntax error",
        "COUNTIF(a = )",
    ),
    Case(
        "bad SQL in a multi-line from expression",
        VALID + '\n[data_sources.main]\nfrom_expression = """(\n  SELECT *\n  FROM t\n'
        '  WHERE (x = 1\n)"""\n',
        "data_sources.main.from_expression",
        23,
        "SQL syntax error: Expecting )",
        "the error is in `)`",
    ),
    Case(
        "bad SQL in dimension",
        VALID + '\n[dimensions.os]\nselect_expression = "SUBSTR(normalized_os, 1"\n',
        "dimensions.os.select_expression",
        19,
        "SQL syntax error: Expecting )",
        None,
    ),
    Case(
        "duplicate table",
        VALID + "\n[metrics.gc_ms.statistics]\nmean = {}\n",
        "",
        18,
        "duplicate definition: [metrics.gc_ms.statistics] is declared more than once",
        "merge the two tables",
    ),
    Case(
        "duplicate key",
        replace('name = "Valid"', 'name = "Valid"\nname = "Again"'),
        "",
        3,
        "duplicate definition: this key already has a value",
        None,
    ),
    Case(
        "duplicate metric in list",
        replace('"gc_ms", "uri_count"]', '"gc_ms", "gc_ms"]'),
        "project.metrics",
        6,
        '"gc_ms" is listed more than once; it counts once',
        "remove the repeated entry",
        severity=Severity.WARNING,
    ),
    Case(
        "misspelled key in an opwatch table",
        VALID + "\n[metrics.gc_ms.monitor]\nalertt = true\n",
        "metrics.gc_ms.monitor.alertt",
        19,
        'unknown monitoring setting "alertt"',
        'did you mean "alert"?',
    ),
    Case(
        "unknown statistic parameter",
        replace("percentile = { percentiles = [50, 95] }", "percentile = { percentile = [50] }"),
        "metrics.gc_ms.statistics.percentile.percentile",
        13,
        'unknown parameter "percentile"',
        'did you mean "percentiles"?',
    ),
    Case("not TOML", "[project\nname = 'x'\n", "", 1, "not valid TOML", "fix the TOML syntax"),
    Case("empty file", "", "", 1, "the project file is empty", "[project]"),
    Case("only comments", "# nothing yet\n", "", 1, "the project file is empty", None),
    Case(
        "histogram with a scalar statistic",
        replace("percentile = { percentiles = [50, 95] }", "sum = {}"),
        "metrics.gc_ms.statistics.sum",
        13,
        'statistic "sum" is not defined for histograms',
        "percentile",
    ),
    Case(
        "group_by_dimension not a dimension",
        replace('dimensions = ["os"]', 'dimensions = ["os"]\ngroup_by_dimension = "country"'),
        "project.population.group_by_dimension",
        11,
        'group_by_dimension "country" is not one',
        None,
    ),
    Case(
        "threshold alert without limits",
        replace('start_date = "2024-01-01"', 'start_date = "2024-01-01"\nalerts = ["high"]')
        + '\n[alerts.high]\ntype = "threshold"\nmetrics = ["uri_count"]\n',
        "alerts.high",
        19,
        "a threshold alert needs min, max or both",
        None,
    ),
    Case(
        "alert on a metric the project does not list",
        VALID + '\n[alerts.high]\ntype = "threshold"\nmax = [1]\nmetrics = ["crashes"]\n',
        "alerts.high.metrics",
        21,
        'metric "crashes" is not one of the project\'s metrics',
        None,
    ),
    Case(
        "generations mixed",
        replace(
            'metrics = ["gc_ms", "uri_count"]',
            'metrics = ["gc_ms", "uri_count"]\nprobes = ["gc_ms"]',
        ),
        "metrics",
        13,
        "mixes generation 1 probes with generation 2 metrics",
        None,
    ),
    Case(
        "unknown platform",
        replace('"firefox_desktop"', '"firefox_destkop"').replace('dimensions = ["os"]', ""),
        "project.platform",
        3,
        'no definitions or defaults found for platform "firefox_destkop"',
        'did you mean "firefox_desktop"?',
    ),
    Case(
        "histogram layout without its range",
        VALID + '\n[metrics.gc_ms.buckets]\nkind = "exponential"\nbucket_count = 50\n',
        "metrics.gc_ms.buckets",
        18,
        "a exponential layout needs high",
        None,
    ),
    Case(
        "monitoring a platform that does not exist",
        VALID + '\n[metrics.gc_ms.monitor]\nplatforms = ["Windows", "BeOS"]\n',
        "metrics.gc_ms.monitor.platforms[1]",
        19,
        '"BeOS" is not allowed here',
        None,
    ),
    Case(
        "reference branch that is not a branch",
        replace('data_source = "main"\n', 'data_source = "main"\nbranches = ["a", "b"]\n')
        + '\n[project.statistics]\nreference_branch = "control"\n',
        "project.statistics.reference_branch",
        20,
        'reference branch "control" is not one of the project\'s branches',
        "use one of: a, b",
        severity=Severity.WARNING,
    ),
    Case(
        "unknown interval method",
        VALID + '\n[project.statistics]\ninterval_method = "jackknife"\n',
        "project.statistics.interval_method",
        19,
        "jackknife",
        None,
    ),
]


def only_error(path: Path) -> Diagnostic:
    result = validate_paths([path])
    errors = result.report.errors
    assert len(errors) >= 1, "expected an error, got none"
    return errors[0]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_config_is_reported_in_place(case: Case, config_tree: Callable[[str], Path]) -> None:
    path = config_tree(case.text)
    result = validate_paths([path])
    matching = [
        d for d in result.report if case.message in d.message and d.severity is case.severity
    ]
    assert matching, f"no {case.severity} says {case.message!r}; got " + str(
        [d.format() for d in result.report]
    )
    diagnostic = matching[0]
    assert diagnostic.file == path
    assert diagnostic.key_path == case.key_path
    assert diagnostic.line == case.line, diagnostic.format()
    if case.hint is not None:
        assert diagnostic.hint is not None and case.hint in diagnostic.hint, diagnostic.format()
    if case.severity is Severity.WARNING:
        assert result.ok and [p.slug for p in result.projects] == ["my-project"]


def test_valid_base_config_has_no_diagnostics(config_tree: Callable[[str], Path]) -> None:
    result = validate_paths([config_tree(VALID)])
    assert [d.format() for d in result.report] == []
    assert [p.slug for p in result.projects] == ["my-project"]


def test_all_errors_of_a_run_are_reported_together(config_tree: Callable[[str], Path]) -> None:
    text = replace('xaxis = "submission_date"', 'xaxis = "day"').replace("mean = {}", "maen = {}")
    second = config_tree(replace('"gc_ms", "uri_count"]', '"gc_ms", "nope"]'), slug="other")
    result = validate_paths([config_tree(text), second])
    messages = sorted(d.message for d in result.report.errors)
    assert messages == [
        '"day" is not allowed here',
        'metric "nope" is not defined',
        'unknown statistic "maen"',
    ]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[project]\nname = "Caf\u00e9"\n'.encode("latin-1"))
    diagnostic = only_error(path)
    assert diagnostic.message.startswith("file is not valid UTF-8 (byte 0xe9")
    assert (diagnostic.line, diagnostic.column) == (2, 12)
    assert "re-save the file as UTF-8" in (diagnostic.hint or "")


def test_fifty_megabyte_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.write(b"[project]\n")
        handle.truncate(50 * 1024 * 1024)
    diagnostic = only_error(path)
    assert diagnostic.message == (
        "file is 50.0 MB, larger than the 10 MB limit for a configuration file"
    )
    assert diagnostic.key_path == ""


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    diagnostic = only_error(tmp_path / "nope.toml")
    assert diagnostic.message == "no such file or folder"
