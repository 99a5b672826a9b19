"""Who monitors what: Glean ``metrics.yaml`` monitors read with glean_parser, matched to project
metrics by column, and merged key by key under the project's ``[metrics.X.monitor]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from opwatch.alerts.monitoring import Owners, owners_of, read_metrics_yaml
from opwatch.config.resolved import Metric, Monitor, Statistic
from opwatch.errors import ConfigError

SCHEMA = "moz://mozilla.org/schemas/glean/metrics/2-0-0"
PROJECT = "[metrics.{}.monitor]"


def glean_metric(monitor: Any = None, **fields: Any) -> dict[str, Any]:
    """A valid Glean counter (every required field), with ``metadata.monitor`` if given."""
    metric: dict[str, Any] = {
        "type": "counter",
        "description": "A counter.",
        "bugs": ["https://bugzilla.mozilla.org/show_bug.cgi?id=1"],
        "data_reviews": ["https://example.com/review"],
        "notification_emails": ["owner@example.com"],
        "expires": "never",
    }
    if monitor is not None:
        metric["metadata"] = {"monitor": monitor}
    return metric | fields


def write(folder: Path, categories: dict[str, Any], name: str = "metrics.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"$schema": SCHEMA, **categories}, sort_keys=False))
    return path


def project_metric(name: str = "gc_ms", select: str = "SUM(x)", **fields: Any) -> Metric:
    return Metric(name, "main", select, "scalar", (Statistic("mean"),), **fields)


# --- metadata.monitor -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        (True, (True, (), None, None)),  # every default: alert, nobody to tell
        ({"alert": False}, (False, (), None, None)),
        (
            {"bugzilla_notification_emails": ["a@example.com", "b@example.com"]},
            (True, ("a@example.com", "b@example.com"), None, None),
        ),
        (
            {"platforms": ["Windows", "Darwin"], "lower_is_better": True},
            (True, (), ("Windows", "Darwin"), True),
        ),
        (
            {"change_detection_technique": "binseg", "change_detection_args": {"n": 2}},
            (True, (), None, None),
        ),
    ],
)
def test_a_monitor_value_gives_owners(
    tmp_path: Path, monitor: Any, expected: tuple[Any, ...]
) -> None:
    timing = glean_metric(monitor, type="timing_distribution", time_unit="millisecond")
    path = write(tmp_path, {"gc": {"ms": timing}})
    [found] = read_metrics_yaml([path])
    assert (found.identifier, found.column, found.file) == ("gc.ms", "gc_ms", path)
    owners = owners_of(project_metric(), [found])
    assert owners == Owners(*expected, declared_in=f"{path.name}: gc.ms")


@pytest.mark.parametrize("monitor", [False, None])
def test_monitor_false_or_absent_is_not_monitored(tmp_path: Path, monitor: Any) -> None:
    path = write(tmp_path, {"gc": {"ms": glean_metric(monitor), "other": glean_metric(True)}})
    assert [m.identifier for m in read_metrics_yaml([path])] == ["gc.other"]
    assert owners_of(project_metric("gc_ms"), read_metrics_yaml([path])) is None


def test_no_file_monitors_nothing() -> None:
    assert read_metrics_yaml([]) == []


@pytest.mark.parametrize(
    ("monitor", "complaint"),
    [
        ({"alert": "yes"}, "alert: "),
        ({"colour": "red"}, "colour: "),
        ({"platforms": ["Mac"]}, "platforms.0: "),
        ({"bugzilla_notification_emails": "a@example.com"}, "bugzilla_notification_emails: "),
        ("yes", "monitor: "),
    ],
)
def test_an_invalid_monitor_names_the_file_and_the_key_path(
    tmp_path: Path, monitor: Any, complaint: str
) -> None:
    path = write(tmp_path, {"gc": {"ms": glean_metric(monitor), "fine": glean_metric(True)}})
    with pytest.raises(ConfigError) as raised:
        read_metrics_yaml([path])
    [problem] = raised.value.diagnostics
    assert (problem.file, problem.key_path) == (path, "gc.ms.metadata.monitor")
    assert problem.message.startswith(complaint)
    assert str(path) in str(raised.value)


def test_a_schema_error_names_the_file_and_the_metric(tmp_path: Path) -> None:
    fine = write(tmp_path, {"gc": {"ms": glean_metric(True)}}, "fine.yaml")
    incomplete = {"type": "counter", "description": "No owners.", "metadata": {"monitor": True}}
    broken = write(tmp_path, {"dom": {"nodes": incomplete}}, "broken.yaml")
    with pytest.raises(ConfigError) as raised:
        read_metrics_yaml([fine, broken])
    [problem] = raised.value.diagnostics
    assert (problem.file, problem.key_path) == (broken, "dom.nodes")
    assert "Missing required properties: bugs, data_reviews, expires" in problem.message
    assert f"{broken}: dom.nodes: " in str(raised.value)


@pytest.mark.parametrize("given", ["absolute", "relative", "through a link"])
def test_every_problem_of_every_file_names_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """glean_parser names the resolved path: a link or a name that ends another file's name
    (``a.yaml``, ``xa.yaml``) must not move a problem to another file."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    write(real, {"gc": {"ms": glean_metric({"alert": 1})}}, "a.yaml")
    write(real, {"dom": {"nodes": {"type": "counter", "description": "No owners."}}}, "xa.yaml")
    monkeypatch.chdir(real if given == "relative" else tmp_path)
    folder = {"absolute": real, "relative": Path(), "through a link": Path("link")}[given]
    paths = [folder / "a.yaml", folder / "xa.yaml"]
    with pytest.raises(ConfigError) as raised:
        read_metrics_yaml(paths)
    found = {(d.file, d.key_path) for d in raised.value.diagnostics}
    assert found == {(paths[0], "gc.ms.metadata.monitor"), (paths[1], "dom.nodes")}


# --- which project metric a Glean metric monitors -------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "name", "select", "monitored"),
    [
        ("gc.ms", "gc_ms", "SUM(x)", True),  # named after the column
        ("gc.ms", "pauses", "ARRAY_AGG(metrics.timing_distribution.gc_ms)", True),
        ("gc.ms", "pauses", "SUM(gc_ms) / COUNT(*)", True),
        ("gc.ms", "gc_total", "SUM(gc_ms_total)", False),  # a longer column
        ("gc.ms", "gc_total", "SUM(my_gc_ms)", False),
        ("gc.ms", "total_gc_ms", "SUM(x)", False),
        ("gc.ms", "pauses", "SUM(gc.ms)", False),  # the column has underscores
        ("browser.engagement.uri_count", "uris", "SUM(browser_engagement_uri_count)", True),
    ],
)
def test_a_glean_metric_monitors_the_metrics_reading_its_column(
    tmp_path: Path, identifier: str, name: str, select: str, monitored: bool
) -> None:
    category, metric = identifier.rsplit(".", 1)
    monitors = read_metrics_yaml([write(tmp_path, {category: {metric: glean_metric(True)}})])
    owners = owners_of(project_metric(name, select), monitors)
    assert (owners is not None) == monitored


# --- the project's [metrics.X.monitor] wins key by key --------------------------------------

GLEAN_MONITOR = {
    "alert": False,
    "bugzilla_notification_emails": ["glean@example.com"],
    "platforms": ["Linux"],
    "lower_is_better": True,
}


@pytest.mark.parametrize(
    ("own", "expected"),
    [
        (Monitor(), (False, ("glean@example.com",), ("Linux",), True)),
        (Monitor(alert=True), (True, ("glean@example.com",), ("Linux",), True)),
        (Monitor(emails=("own@example.com",)), (False, ("own@example.com",), ("Linux",), True)),
        (Monitor(platforms=("Windows",)), (False, ("glean@example.com",), ("Windows",), True)),
        (Monitor(lower_is_better=False), (False, ("glean@example.com",), ("Linux",), False)),
        (Monitor(technique="binseg"), (False, ("glean@example.com",), ("Linux",), True)),
    ],
)
def test_the_project_monitor_wins_key_by_key(
    tmp_path: Path, own: Monitor, expected: tuple[Any, ...]
) -> None:
    path = write(tmp_path, {"gc": {"ms": glean_metric(GLEAN_MONITOR)}})
    owners = owners_of(project_metric(monitor=own), read_metrics_yaml([path]))
    assert owners is not None
    assert (owners.alert, owners.emails, owners.platforms, owners.lower_is_better) == expected
    both = f"{path.name}: gc.ms and {PROJECT.format('gc_ms')}"
    assert owners.declared_in == (both if own != Monitor() else f"{path.name}: gc.ms")


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (project_metric(), None),  # no Glean file, no [metrics.X.monitor]
        (project_metric(monitor=Monitor(technique="binseg")), (True, (), None, None)),
        (
            project_metric(monitor=Monitor(alert=False, emails=("o@example.com",))),
            (False, ("o@example.com",), None, None),
        ),
        # lower_is_better falls back to the opposite of the metric's bigger_is_better
        (
            project_metric(bigger_is_better=True, monitor=Monitor(alert=True)),
            (True, (), None, False),
        ),
    ],
)
def test_a_project_monitor_alone(metric: Metric, expected: tuple[Any, ...] | None) -> None:
    owners = owners_of(metric, [])
    if expected is None:
        assert owners is None
        return
    assert owners == Owners(*expected, declared_in=PROJECT.format(metric.name))
