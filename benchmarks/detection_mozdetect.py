"""Mozilla's mozdetect for ``benchmarks/detection.py``, run in its own venv.

mozdetect (pandas 3, PyQt5, matplotlib, the BigQuery client) never enters the project's venv:
it lives in ``benchmarks/.mozdetect-venv`` (gitignored), created when missing with
``python3 -m venv`` and ``pip install -r benchmarks/mozdetect-requirements.txt``, and runs in a
subprocess (``benchmarks/mozdetect_worker.py``). A scalar series reaches it as one
observation a day in 20 equal bins spanning the series. The worker's results are cached by
the digest of the series, the worker and the requirements.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from detection_data import Record
from detection_scoring import MOZDETECT, MOZDETECT_SMOOTHED, Run
from rich.console import Console

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".mozdetect-venv"
REQUIREMENTS = ROOT / "mozdetect-requirements.txt"
WORKER = ROOT / "mozdetect_worker.py"
INSTALLED_MARKER = "opwatch-installed-requirements.txt"
"""Copy of the requirements a venv was installed from, written once pip succeeded."""
SCALAR_BINS = 20


def run_logged(command: list[str], console: Console) -> None:
    """Print ``command``, run it, stop on failure."""
    console.print(f"$ {' '.join(command)}", markup=False)
    subprocess.run(command, check=True)


def mozdetect_python(venv: Path, console: Console) -> Path:
    """The venv's interpreter, after creating the venv and installing mozdetect if needed."""
    python, marker = venv / "bin" / "python", venv / INSTALLED_MARKER
    if marker.exists() and marker.read_text() == REQUIREMENTS.read_text():
        return python
    console.print(f"mozdetect is benchmark-only: installing it into {venv} (gitignored)")
    if not python.exists():
        base = shutil.which("python3")
        if base is None:
            raise SystemExit("python3 is not on PATH: needed to create the mozdetect venv")
        run_logged([base, "-m", "venv", str(venv)], console)
    run_logged([str(python), "-m", "pip", "install", "-r", str(REQUIREMENTS)], console)
    marker.write_text(REQUIREMENTS.read_text())
    return python


def scalar_histograms(values: np.ndarray, bins: int = SCALAR_BINS) -> np.ndarray:
    """One observation a day: a count of 1 in the one of ``bins`` equal bins spanning the
    series that holds the day's value (every bin listed every day)."""
    finite = np.isfinite(values)
    low, high = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 1.0)
    edges = np.linspace(low, high, bins + 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    counts = np.zeros((len(values), bins), dtype=np.int64)
    counts[np.flatnonzero(finite), index[finite]] = 1
    return counts


def mozdetect_counts(record: Record) -> np.ndarray:
    """The daily counts mozdetect reads for ``record``."""
    return record.values if record.values.ndim == 2 else scalar_histograms(record.values)


def series_key(position: int) -> str:
    return f"{position:05d}"


def input_digest(counts: Sequence[np.ndarray]) -> str:
    """What a mozdetect result depends on: the series, the worker and the requirements."""
    digest = hashlib.sha256(WORKER.read_bytes() + REQUIREMENTS.read_bytes())
    for array in counts:
        digest.update(str(array.shape).encode() + np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def run_worker(
    python: Path,
    counts: Sequence[np.ndarray],
    smoothed_only: bool,
    jobs: int,
    fresh: bool,
    *,
    cache: Path,
    console: Console,
) -> dict[str, Any]:
    """The worker's output for ``counts`` (cached in ``cache`` by digest)."""
    lane = "smoothed" if smoothed_only else "both"
    lanes = "smoothed lane" if smoothed_only else "both lanes"
    digest = input_digest(counts)
    source, output = cache / f"mozdetect-{digest}.npz", cache / f"mozdetect-{digest}-{lane}.json"
    if output.exists() and not fresh:
        console.print(f"mozdetect ({lanes}): reusing {output.name}")
        result: dict[str, Any] = json.loads(output.read_text())
        return result
    np.savez_compressed(source, **{series_key(i): array for i, array in enumerate(counts)})
    command = [str(python), str(WORKER), str(source), str(output), "--jobs", str(jobs)]
    command += ["--smoothed-only"] if smoothed_only else []
    console.print(f"mozdetect ({lanes}) on {len(counts)} series, {jobs} processes")
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run(command, check=True, env=environment, cwd=cache)
    result = json.loads(output.read_text())
    return result


def run_mozdetect(
    records: Sequence[Record],
    python: Path,
    smoothed_only: bool,
    jobs: int,
    fresh: bool,
    *,
    cache: Path,
    console: Console,
) -> Run:
    """mozdetect's cdf_squared (both lanes, or the smoothed one) on every series."""
    counts = [mozdetect_counts(record) for record in records]
    output = run_worker(python, counts, smoothed_only, jobs, fresh, cache=cache, console=console)
    results = [output["series"][series_key(i)] for i in range(len(records))]
    alerts = [[(int(a["index"]), str(a["direction"])) for a in r["alerts"]] for r in results]
    seconds = [float(r["seconds"]) for r in results]
    details = [
        {
            "error": f"{record.name}: {r['error']}" if r["error"] else None,
            "dropped": int(r["dropped"]),
            "lanes": [str(a["lane"]) for a in r["alerts"]],
        }
        for record, r in zip(records, results, strict=True)
    ]
    for detail in details:
        if detail["error"]:
            console.print(f"mozdetect failed on {detail['error']}", markup=False)
    console.print(
        f"  {output['wall_seconds']:.0f} s wall, {sum(seconds):.0f} s in {output['jobs']} "
        f"processes, {sum(d['dropped'] for d in details)} detections dropped by mozdetect"
    )
    name = MOZDETECT_SMOOTHED if smoothed_only else MOZDETECT
    return Run(name, alerts, seconds, seconds, details)
