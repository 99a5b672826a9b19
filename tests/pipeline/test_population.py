"""Population rules that the corpus does not exercise: segments restrict the population."""

from __future__ import annotations

import shutil
from pathlib import Path

from opwatch.config import load_project
from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import GeneratedData
from opwatch.pipeline import open_runner
from tests.conftest import days, settings_for, table_rows

SEGMENT = """
[segments.linux_users]
data_source = "main_pings"
select_expression = "LOGICAL_OR(normalized_os = 'Linux')"

[segments.data_sources.main_pings]
from_expression = "mozdata.telemetry.main"
submission_date_column = "DATE(submission_timestamp)"
window_start = -2
window_end = 0
"""


def test_a_segment_keeps_only_its_clients(telemetry: GeneratedData, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(demo_config_dir(), config)
    project_file = config / "opmon" / "opwatch-demo.toml"
    text = project_file.read_text().replace(
        'dimensions = ["os"]', 'dimensions = ["os"]\nsegments = ["linux_users"]'
    )
    project_file.write_text(text + SEGMENT)
    project = load_project(project_file)
    assert project.segment_data_sources["main_pings"].window_days == 2
    with open_runner(settings_for(telemetry, tmp_path / "results")) as runner:
        assert runner.run([project], days(telemetry)[:3]).ok
    rows = table_rows(tmp_path / "results", "opwatch_demo_scalar")
    assert rows and {row[4] for row in rows} == {"Linux"}
    with open_runner(settings_for(telemetry, tmp_path / "all")) as runner:
        runner.run(
            [load_project(demo_config_dir() / "opmon" / "opwatch-demo.toml")], days(telemetry)[:3]
        )
    everyone = table_rows(tmp_path / "all", "opwatch_demo_scalar")
    assert [row for row in everyone if row[4] == "Linux"] == rows
