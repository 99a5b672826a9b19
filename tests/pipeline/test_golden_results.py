"""The demo project's result tables, pinned: a refactoring must not change a single value.

Every table the four-week demo run writes (per-client scalars and histograms, statistics,
detections, and the configuration columns of ``projects_v1``) is reduced to a digest of its
sorted rows, and the digests are compared with ``golden/demo_results.json``. Floats are
written with 12 significant digits, so that the digests mean "the same numbers" on any CPU
(BLAS kernels may differ in the last bits) and nothing coarser. Regenerate, after a change
that is meant to move results, with ``OPWATCH_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

GOLDEN = Path(__file__).parent / "golden" / "demo_results.json"
PROJECT_COLUMNS = (
    "slug, name, platform, xaxis, branches, dimensions, start_date, end_date, "
    "group_by_dimension, alerting, compact_visualization, metrics, metric_groups, config_hash"
)
"""``projects_v1`` without ``updated_at`` (the time of the run) and columns added since."""


def test_the_demo_results_are_the_golden_ones(four_weeks_detected: Path) -> None:
    tables = four_weeks_detected / "tables"
    digests = {}
    for folder in sorted(tables.iterdir()):
        columns = PROJECT_COLUMNS if folder.name == "projects_v1" else "*"
        query = f"SELECT {columns} FROM read_parquet(?, hive_partitioning = true)"
        rows = duckdb.execute(query, [f"{folder}/**/*.parquet"]).fetchall()
        digests[folder.name] = _digest(rows)
    if os.environ.get("OPWATCH_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert set(digests) == set(golden), "the run wrote other tables than the golden run"
    changed = sorted(table for table in golden if digests[table] != golden[table])
    assert not changed, f"results differ in {changed}; regenerate with OPWATCH_UPDATE_GOLDEN=1"


def test_a_changed_value_changes_the_digest() -> None:
    rows = [("a", 1.0, date(2026, 1, 1)), ("b", None, date(2026, 1, 2))]
    assert _digest(rows) == _digest(list(reversed(rows)))
    assert _digest(rows) != _digest([("a", 1.0000001, date(2026, 1, 1)), rows[1]])


def _digest(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    lines = sorted("\t".join(_text(value) for value in row) for row in rows)
    text = "\n".join(lines).encode()
    return {"rows": len(rows), "sha256": hashlib.sha256(text).hexdigest()}


def _text(value: Any) -> str:
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_text(v)}" for k, v in sorted(value.items())) + "}"
    return repr(value)
