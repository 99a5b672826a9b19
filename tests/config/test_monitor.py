"""``[metrics.X.monitor]``: read into the resolved metric, and written back by ``show``."""

from __future__ import annotations

from opwatch.config import load_project
from opwatch.config.resolved import Monitor
from opwatch.demo import demo_project_path


def test_the_demo_monitors_gc_time_with_lower_is_better() -> None:
    project = load_project(demo_project_path())
    gc = project.metric("gc_ms")
    assert gc.monitor == Monitor(
        technique="binseg", args={"short_term_spikes_ignored": True}, lower_is_better=True
    )
    assert gc.lower_is_better is True
    assert project.metric("main_crashes").lower_is_better is True  # bigger_is_better = false
    assert project.metric("uri_count").lower_is_better is None
    assert project.to_config()["metrics"]["gc_ms"]["monitor"] == {
        "change_detection_technique": "binseg",
        "change_detection_args": {"short_term_spikes_ignored": True},
        "lower_is_better": True,
    }
