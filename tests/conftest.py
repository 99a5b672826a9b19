"""Shared fixtures: the real corpus, and small config trees laid out like metric-hub."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"

DEFINITIONS = """\
[functions.agg_sum]
definition = "COALESCE(SUM({select_expr}), 0)"

[metrics.gc_ms]
data_source = "main"
select_expression = "ARRAY_AGG(mozfun.hist.extract(payload.histograms.gc_ms) IGNORE NULLS)"
type = "histogram"

[metrics.uri_count]
data_source = "main"
select_expression = '{{agg_sum("uri_count")}}'

[metrics.crashes]
data_source = "main"
select_expression = "COUNT(*)"

[dimensions.os]
data_source = "main"
select_expression = "normalized_os"

[data_sources.main]
from_expression = "mozdata.telemetry.main"
submission_date_column = "DATE(submission_timestamp)"
"""


@pytest.fixture
def corpus() -> Path:
    """The shared corpus of real configurations."""
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def config_tree(tmp_path: Path) -> Callable[[str], Path]:
    """Write a project into a metric-hub-like tree; returns the project file's path."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "firefox_desktop.toml").write_text(DEFINITIONS)
    (tmp_path / "opmon").mkdir()

    def write(project_text: str, slug: str = "my-project") -> Path:
        path = tmp_path / "opmon" / f"{slug}.toml"
        path.write_text(textwrap.dedent(project_text))
        return path

    return write
