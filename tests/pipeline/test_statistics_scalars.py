"""Scalar statistics from the engine's sums, ranks and replicates equal the client-by-client
definitions.

A scalar result table is written by hand with what the demo data never has — negative values,
NULLs, ties, a group of one, a metric without any value in a group, groups small enough to be
bootstrapped — and the statistics step's rows are compared with
:meth:`Statistic.estimate` (opwatch.stats.scalar) run on each group's client values in Python,
bootstrap intervals included: numpy draws each client's weights from the same hash the SQL
computes (opwatch.stats.replicates), so the replicates agree to the rounding of their sums.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from opwatch.config import Project, load_project
from opwatch.config.settings import Settings
from opwatch.engines import create_engine
from opwatch.pipeline.statistics import StatisticsStep
from opwatch.pipeline.statistics_day import interval_settings
from opwatch.stats.registry import ScalarSample, statistic
from opwatch.stats.replicates import client_hashes
from tests.pipeline.test_statistics import FLOAT32, table

DAY = date(2026, 10, 1)
STATISTICS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "loaded": [
        ("count", {}),
        ("mean", {}),
        ("sum", {}),
        ("percentile", {"percentiles": [10, 50, 90]}),
        ("total_ratio", {"denominator_metric": "tabs"}),
    ],
    "tabs": [("quantile", {}), ("percentile", {"percentiles": [50], "remove_nulls": True})],
}
SIZES = {"Linux": 1, "Windows": 2, "Mac": 25, "Android": 40, "Other": 400}
"""Clients per (os, branch) group: 25 is bootstrapped under ``auto``, the rest analytic."""


def project_toml(method: str) -> str:
    lines = [
        "[project]",
        'name = "scalar sums"',
        'platform = "firefox_desktop"',
        'xaxis = "submission_date"',
        'metrics = ["loaded", "tabs"]',
        "skip_default_metrics = true",
        "[project.statistics]",
        f'interval_method = "{method}"',
        "[project.population]",
        'data_source = "main"',
        'branches = ["control", "treatment"]',
        'dimensions = ["os"]',
        "[dimensions.os]",
        'data_source = "main"',
        'select_expression = "normalized_os"',
        "[data_sources.main]",
        'from_expression = "mozdata.telemetry.main"',
    ]
    for metric, configured in STATISTICS.items():
        lines += [
            f"[metrics.{metric}]",
            'data_source = "main"',
            'select_expression = "SUM(1)"',
            f"[metrics.{metric}.statistics]",
        ]
        for name, parameters in configured:
            inline = ", ".join(f"{key} = {_toml(value)}" for key, value in parameters.items())
            lines.append(f"{name} = {{ {inline} }}")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def client_rows(seed: int) -> pd.DataFrame:
    """One row per (client, metric) as the ETL writes them: NULL where a client has none."""
    rng = np.random.default_rng(seed)
    rows = []
    for os_name, size in SIZES.items():
        for branch in ("control", "treatment"):
            for client in range(size):
                client_id = f"{os_name}-{branch}-{client}"
                loaded = float(rng.integers(-3, 6))  # ties, negatives and zeros
                tabs = float(rng.lognormal(1, 1))
                if rng.random() < 0.3 or (os_name == "Android" and branch == "treatment"):
                    loaded = np.nan  # and a group where no client has one
                if rng.random() < 0.2:
                    tabs = np.nan
                for name, value in (("loaded", loaded), ("tabs", tabs)):
                    rows.append((DAY, client_id, branch, None, os_name, name, "SUM", value))
    columns = ["submission_date", "client_id", "branch", "build_id", "os", "name", "agg_type"]
    return pd.DataFrame(rows, columns=[*columns, "value"])


def expected(frame: pd.DataFrame, method: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """Every (os, branch, metric, statistic, parameter) value from the clients, in Python:
    point, lower, upper, and whether its interval is bootstrapped."""
    project = load_project_text(project_toml(method))
    settings = interval_settings(project)
    wide = frame.pivot(index=["os", "branch", "client_id"], columns="name", values="value")
    found: dict[tuple[str, ...], tuple[Any, ...]] = {}
    for (os_name, branch), group in wide.groupby(level=[0, 1]):
        metrics = {name: group[name].to_numpy(dtype=np.float64) for name in STATISTICS}
        clients = client_hashes(group.index.get_level_values("client_id"))
        key = (DAY, None, os_name, branch)  # the statistics step's group key
        for metric, configured in STATISTICS.items():
            sample = ScalarSample(metrics[metric], metrics, clients=clients)
            for name, parameters in configured:
                computed = statistic(name, "scalar")
                rng = settings.rng(key, metric, name)
                estimates = computed.estimate(sample, parameters, settings, rng)
                for value in estimates:
                    found[os_name, branch, metric, name, value.parameter or ""] = (
                        *value[1:],
                        estimates.draws is not None,
                    )
    return found


def load_project_text(text: str, folder: Path | None = None) -> Project:
    """The project of ``text``, written as a file (in ``folder``, else a new one)."""
    directory = folder or Path(tempfile.mkdtemp())
    path = directory / "scalar-sums.toml"
    path.write_text(text)
    return load_project(path)


@pytest.mark.parametrize(
    ("method", "unsummed"),
    [("analytic", None), ("auto", None), ("bootstrap", None), ("analytic", "sum"), ("auto", "sum")],
)
def test_scalar_statistics_from_sums_equal_the_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, unsummed: str | None
) -> None:
    """Points and intervals agree to rounding, bootstrapped ones (25 clients under ``auto``,
    every group under ``bootstrap``) included. A statistic without a form from sums
    (``unsummed``) is computed from every group's clients, with the same weights."""
    if unsummed is not None:
        cls = type(statistic(unsummed, "scalar"))
        monkeypatch.setattr(cls, "summed", False)
        monkeypatch.setattr(cls, "estimate_from_sums", lambda *_: pytest.fail("not summed"))
    project = load_project_text(project_toml(method), tmp_path)
    results = tmp_path / "results"
    partition = results / "tables" / "scalar_sums_scalar" / f"submission_date={DAY}"
    partition.mkdir(parents=True)
    frame = client_rows(seed=7)
    duckdb.from_df(frame).write_parquet(str(partition / "data.parquet"))
    engine = create_engine(Settings.model_validate({"engine": {"results": str(results)}}))
    try:
        StatisticsStep(engine).run(project, (DAY,))
    finally:
        engine.close()
    written = table(results, "scalar_sums_statistics")
    written = written[written["comparison"].isna()].replace({np.nan: None})
    columns = ["os", "branch", "metric", "statistic", "parameter", "point", "lower", "upper"]
    got = {
        (*row[:4], row[4] or ""): (*row[5:8], row[8])
        for row in written[[*columns, "packed"]].itertuples(index=False)
    }
    wanted = expected(frame, method)
    assert got.keys() == wanted.keys()
    bootstrapped = 0
    for key, (point, lower, upper, resampled) in wanted.items():
        *found, packed = got[key]
        rel = FLOAT32 if packed else 1e-9  # packed percentiles are 4-byte floats
        assert found[0] == pytest.approx(point, rel=rel, abs=1e-12), key
        bootstrapped += resampled
        for mine, theirs in zip(found[1:], (lower, upper), strict=True):
            assert (mine is None) == (theirs is None), key
            if theirs is not None:
                assert mine == pytest.approx(theirs, rel=rel, abs=1e-12), key
    assert (bootstrapped > 0) is (method != "analytic")
    assert ("Android", "treatment", "loaded", "mean", "") not in got  # no value, no mean
    assert got["Android", "treatment", "loaded", "count", ""][0] == 0
