"""``opwatch alerts`` from the command line: the steps table, reruns, exit codes and messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tomli_w

from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import GeneratedData
from tests.alerts.bugzilla_server import FakeBugzilla
from tests.alerts.smtp_server import Inbox
from tests.cli.helpers import opwatch
from tests.conftest import FOUR_WEEKS

pytestmark = pytest.mark.slow
DAY = FOUR_WEEKS.end_date.isoformat()


def installation(
    folder: Path, four_weeks: GeneratedData, results: Path, bugzilla_url: str, smtp_port: int
) -> Path:
    """An installation over a copy of ``results``, the demo config and its metrics.yaml."""
    shutil.copytree(results, folder / "results")
    shutil.copytree(demo_config_dir(), folder / "config")
    settings = {
        "config": {"projects": "config/opmon"},
        "engine": {"results": "results"},
        "tables": four_weeks.tables,
        "alerts": {
            "metrics_yaml": ["config/glean/metrics.yaml"],
            "bugzilla": {"url": bugzilla_url, "product": "Toolkit", "component": "Telemetry"},
            "email": {"host": "127.0.0.1", "port": smtp_port},
        },
    }
    (folder / "opwatch.toml").write_text(tomli_w.dumps(settings))
    return folder


def step_counts(stdout: str) -> list[int]:
    """The numbers of the steps table's row."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if "synced" in line and "filed" in line)
    row = next(line for line in lines[header + 1 :] if any(ch.isdigit() for ch in line))
    return [int(cell) for cell in row.replace("│", " ").split()]


def test_alerts_files_a_bug_emails_and_a_rerun_sends_nothing(
    tmp_path: Path,
    four_weeks: GeneratedData,
    four_weeks_detected: Path,
    bugzilla: FakeBugzilla,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUGZILLA_API_KEY", "secret-key")
    folder = installation(tmp_path, four_weeks, four_weeks_detected, bugzilla.url, smtp_inbox[1])
    first = opwatch("alerts", "--day", DAY, cwd=folder)
    assert first.returncode == 0, first.stderr[-2000:]
    synced, ingested, filed, _linked, emailed, posted = step_counts(first.stdout)
    assert (synced, filed, emailed, posted) == (0, 1, 1, 0) and ingested > 0
    assert "Open alerts" in first.stdout and "gc_ms" in first.stdout
    assert "filed bug 1001" in first.stderr
    again = opwatch("alerts", "--day", DAY, "--show", "0", cwd=folder)
    assert again.returncode == 0, again.stderr[-2000:]
    assert step_counts(again.stdout) == [0, 0, 0, 0, 0, 0]
    assert len(bugzilla.bugs) == 1 and "Open alerts" not in again.stdout


def test_a_tracker_that_refuses_exits_4_and_keeps_the_alerts(
    tmp_path: Path,
    four_weeks: GeneratedData,
    four_weeks_detected: Path,
    bugzilla: FakeBugzilla,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUGZILLA_API_KEY", "not-the-key")
    folder = installation(tmp_path, four_weeks, four_weeks_detected, bugzilla.url, smtp_inbox[1])
    refused = opwatch("alerts", "--day", DAY, cwd=folder)
    assert refused.returncode == 4
    assert "bugzilla:" in refused.stderr and "HTTP 401" in refused.stderr
    assert "api_key_env" in refused.stderr and "not-the-key" not in refused.stderr
    monkeypatch.setenv("BUGZILLA_API_KEY", "secret-key")
    fixed = opwatch("alerts", "--day", DAY, cwd=folder)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    _synced, ingested, filed, _linked, _emailed, _posted = step_counts(fixed.stdout)
    assert ingested == 0 and filed == 1  # the alerts of the failed run were kept


def test_a_broken_metrics_yaml_is_a_config_error_naming_the_file(
    tmp_path: Path,
    four_weeks: GeneratedData,
    four_weeks_detected: Path,
    bugzilla: FakeBugzilla,
    smtp_inbox: tuple[Inbox, int],
) -> None:
    folder = installation(tmp_path, four_weeks, four_weeks_detected, bugzilla.url, smtp_inbox[1])
    metrics_yaml = folder / "config" / "glean" / "metrics.yaml"
    metrics_yaml.write_text(metrics_yaml.read_text().replace("alert: false", 'alert: "no"'))
    broken = opwatch("alerts", "--day", DAY, cwd=folder)
    assert broken.returncode == 1
    assert "metrics.yaml" in broken.stderr and "gc.max_pause_ms_2.metadata.monitor" in broken.stderr
    assert not bugzilla.requests
