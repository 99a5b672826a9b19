"""Run Mozilla's mozdetect ``cdf_squared`` on the benchmark's series, inside mozdetect's venv.

``benchmarks/detection_mozdetect.py`` writes the series as an ``.npz`` (one 2-D array of daily
counts per key, every day listing every bin; scalar series already turned into one observation
a day in 20 bins) and runs this script with the interpreter of ``benchmarks/.mozdetect-venv``.
It does not import opwatch. Each series becomes one row per day (``build_id`` ``YYYYMMDD00``
from 2026-01-01, ``non_norm_histogram`` the JSON of ``{bin: count}``) of a
``TelemetryTimeSeries``, and ``cdf_squared`` runs with its defaults (fast lane on), or with
``fast_detection=False`` under ``--smoothed-only``.

mozdetect draws a 300-dpi PNG of every detection; drawing does not change what is detected
and takes half the time, so it is skipped. Each detection's day is converted to the first
point of the new regime: a smoothed one is labelled on the last day before the change, so
its index is that day's plus one; a fast one is on the first day of the new regime already.
Detections mozdetect drops because it cannot describe them (it logs a warning) are counted.

Output (JSON): ``{"lane", "jobs", "wall_seconds", "series": {key: {"alerts": [{"index",
"direction", "lane"}], "seconds", "dropped", "error"}}}``; ``seconds`` is each series' own
``time.perf_counter`` time in its worker process.

Run: ``benchmarks/.mozdetect-venv/bin/python benchmarks/mozdetect_worker.py INPUT.npz
OUTPUT.json [--jobs N] [--smoothed-only]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ holds statistics.py, which would shadow the standard library's module for
# pandas and scipy: this script imports nothing from its folder, so the folder goes.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

import os  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

START = date(2026, 1, 1)
DETECTOR_LOGGER = "CDFSquaredTimeSeries"


class WarningCounter(logging.Handler):
    """Counts the warnings mozdetect logs (a detection it could not describe is dropped)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


COUNTER = WarningCounter()


def prepare_process() -> None:
    """Once per worker process: no plots, no pandas chatter, count mozdetect's warnings."""
    from mozdetect.timeseries_detectors.cdf_squared import CDFSquaredTimeSeriesDetector

    CDFSquaredTimeSeriesDetector._plot_detection = lambda *a, **k: ""  # type: ignore[method-assign]
    warnings.simplefilter("ignore")
    logger = logging.getLogger(DETECTOR_LOGGER)
    logger.addHandler(COUNTER)
    logger.propagate = False


def telemetry_rows(counts: np.ndarray) -> list[dict[str, str]]:
    """One row per day: its build id and its histogram, every bin listed."""
    rows = []
    for day, histogram in enumerate(counts):
        build_id = (START + timedelta(days=day)).strftime("%Y%m%d") + "00"
        bins = {str(b): int(c) for b, c in enumerate(histogram)}
        rows.append({"build_id": build_id, "non_norm_histogram": json.dumps(bins)})
    return rows


def detections(counts: np.ndarray, smoothed_only: bool) -> list[dict[str, Any]]:
    """mozdetect's detections of one series, at the first point of the new regime."""
    import pandas as pd
    from mozdetect import TelemetryTimeSeries
    from mozdetect.timeseries_detectors import get_timeseries_detectors

    series = TelemetryTimeSeries(pd.DataFrame(telemetry_rows(counts)))
    detector = get_timeseries_detectors()["cdf_squared"](series)
    found = detector.detect_changes(fast_detection=not smoothed_only)
    alerts = []
    for detection in found:
        lane = detection.optional_detection_info.get("detection_type", "smoothed")
        day = (detection.location - START).days
        alerts.append(
            {
                "index": day + 1 if lane == "smoothed" else day,
                "direction": str(detection.direction),
                "lane": lane,
            }
        )
    return alerts


def run_one(task: tuple[str, np.ndarray, bool]) -> tuple[str, dict[str, Any]]:
    """Detect on one series and time it; an exception is reported, not raised."""
    key, counts, smoothed_only = task
    COUNTER.count = 0
    started = time.perf_counter()
    try:
        alerts, error = detections(counts, smoothed_only), None
    except Exception as exception:  # mozdetect's failure on one series is a result too
        alerts, error = [], f"{type(exception).__name__}: {exception}"
    seconds = time.perf_counter() - started
    return key, {"alerts": alerts, "seconds": seconds, "dropped": COUNTER.count, "error": error}


def main() -> None:
    """Read the series, detect on each with ``--jobs`` processes, write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("input", type=Path, help=".npz of 2-D daily counts, one key per series")
    parser.add_argument("output", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--smoothed-only", action="store_true", help="fast_detection=False")
    arguments = parser.parse_args()
    with np.load(arguments.input) as archive:
        tasks = [(key, archive[key], arguments.smoothed_only) for key in archive.files]
    started = time.perf_counter()
    results = {}
    with Pool(arguments.jobs, initializer=prepare_process) as pool:
        for done, (key, result) in enumerate(pool.imap(run_one, tasks, chunksize=1), 1):
            results[key] = result
            if done % 50 == 0 or done == len(tasks):
                print(f"  mozdetect: {done}/{len(tasks)} series", file=sys.stderr, flush=True)
    output = {
        "lane": "smoothed" if arguments.smoothed_only else "both",
        "jobs": arguments.jobs,
        "wall_seconds": time.perf_counter() - started,
        "series": results,
    }
    arguments.output.write_text(json.dumps(output))


if __name__ == "__main__":
    main()
