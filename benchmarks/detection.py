"""Change detection on a labelled synthetic set: opwatch's techniques against Mozilla's mozdetect.

Data: ``benchmarks/detection_data.py`` (its docstring has the details): 112-day series in two
families scored separately, ``scalar`` (a number a day) and ``histogram`` (40 exponential
buckets of 1,000 to 5,000 clients a day), of kinds ``step``, ``step_revert``, ``drift`` and
(histograms only) ``tail``, labelled with the first point of the new regime and its direction,
and quiet kinds without labels: ``noise``, ``seasonal`` (a weekly pattern) and ``spike`` (one
or two one-day spikes, which are not changes). Effect sizes are in units of the day-to-day
noise of what moves.

Seeds: the default, 20261126, is the REPORTED set. Seed 1 is the DEVELOPMENT set that
techniques are tuned on; figures from it are not to be reported (a technique tuned on a set
scores too well on it).

Techniques:

- opwatch, in this process: ``binseg`` (the default, with ``short_term_spikes_ignored=True``,
  as every opwatch technique here), ``cdf_squared`` (opwatch's re-implementation of
  mozdetect's smoothed lane), ``window_ttest`` (Perfherder-style) and ``never`` (no alerts, the
  floor). Each runs twice over the set: the first run (which fills binseg's calibration tables,
  simulated once per process and series length) gives the total seconds, the second, warm, the
  milliseconds per series; the two must give the same alerts.
- Mozilla's ``mozdetect`` 0.2.0 package (``cdf_squared``, defaults: smoothed and fast lanes),
  and its smoothed lane alone (``fast_detection=False``), run by
  ``benchmarks/detection_mozdetect.py``. mozdetect needs pandas 3, PyQt5, matplotlib and the
  BigQuery client, so it never enters the project's venv: it lives in
  ``benchmarks/.mozdetect-venv`` (gitignored), created when missing with ``python3 -m venv``
  and ``pip install -r benchmarks/mozdetect-requirements.txt``, and runs in a subprocess
  (``benchmarks/mozdetect_worker.py``, ``--jobs`` processes, timing each series). mozdetect
  draws a 300-dpi PNG for every detection it reports; the worker skips the drawing, which does
  not change any detection and takes half the time. A scalar series reaches mozdetect as one
  observation a day in 20 equal bins spanning the series, as opwatch's ``cdf_squared`` reads
  it. Its results are cached in ``benchmarks/.data`` by the digest of the series, the worker
  and the requirements (``--fresh-mozdetect`` runs it again). The smoothed lane alone is also
  compared with opwatch's ``cdf_squared``: the share of series whose alerts are identical, and
  the share of alerts with a counterpart of the same direction within one point.

Scoring (``benchmarks/detection_scoring.py``), per family and technique: each alert is
matched to at most one labelled change of the same direction within ``--margin`` points (5),
closest pairs first; every other alert, on changed or quiet series, is a false positive.
Precision = matched alerts / alerts (all series), recall = matched changes / changes,
F1 = 2PR / (P + R), also at margins 3 and 7; false alarms per 100 quiet series (every alert on
a ``noise``, ``seasonal`` or ``spike`` series counts), in all and per quiet kind; recall by
effect size (2-3, 3-4, 4-6 noise sds); per kind, the changes found and the false positives.
The target for ``binseg``, per family: F1 >= 0.9, at least 0.2 above mozdetect's, fewer than
1 false alarm per 100 quiet series.

This module runs opwatch's techniques, prints the tables and writes the figures, to
``benchmarks/.data/detection-<seed>.json`` (``-x<scale>`` added when the scale is not 1).

Run: ``.venv/bin/python benchmarks/detection.py [--seed N] [--scale F] [--skip-mozdetect]
[--jobs N] [--margin 5]`` (about 7 minutes at scale 1 on 2 cores, nearly all of it mozdetect).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This folder holds statistics.py, which shadows the standard library's module once the folder
# is first on sys.path (as it is for a script): move it last, sibling modules still import.
ROOT = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT:
    sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

from detection_data import (  # noqa: E402
    DEVELOPMENT_SEED,
    FAMILIES,
    KIND_COUNTS,
    QUIET_KINDS,
    REPORTED_SEED,
    Record,
    generate,
)
from detection_mozdetect import VENV, mozdetect_python, run_mozdetect  # noqa: E402
from detection_scoring import (  # noqa: E402
    EXTRA_MARGINS,
    MOZDETECT_SMOOTHED,
    TARGET_F1,
    TARGET_FALSE_ALARMS,
    TARGET_GAP,
    Alert,
    Run,
    agreement,
    figures,
    ratio,
    target,
)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from opwatch.detect import detect  # noqa: E402

DATA = ROOT / ".data"
OPWATCH_TECHNIQUES = ("binseg", "cdf_squared", "window_ttest")

CONSOLE = Console(width=None if sys.stdout.isatty() else 150)


# --- opwatch's techniques, in this process -------------------------------------------------


def opwatch_pass(
    records: Sequence[Record], technique: str
) -> tuple[list[list[Alert]], list[float]]:
    """Alerts and seconds per series of one pass of ``technique``."""
    alerts, seconds = [], []
    for record in records:
        started = time.perf_counter()
        changes = detect(record.values, technique, short_term_spikes_ignored=True)
        seconds.append(time.perf_counter() - started)
        alerts.append([(change.index, change.direction) for change in changes])
    return alerts, seconds


def run_opwatch(records: Sequence[Record], technique: str) -> Run:
    """``technique`` twice over the set: the cold total, then the warm time per series."""
    cold, cold_seconds = opwatch_pass(records, technique)
    warm, warm_seconds = opwatch_pass(records, technique)
    if cold != warm:
        raise SystemExit(f"{technique} gave different alerts on the same series twice")
    return Run(technique, warm, warm_seconds, cold_seconds)


def run_never(records: Sequence[Record]) -> Run:
    """The floor: no alert anywhere."""
    return Run("never", [[] for _ in records], [0.0] * len(records), [0.0] * len(records))


# --- tables --------------------------------------------------------------------------------


def show(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def new_table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def accuracy_table(family: str, scores: dict[str, dict[str, Any]], margin: int) -> Table:
    """Precision, recall, F1 at three margins, time."""
    some = next(iter(scores.values()))
    extra = [str(m) for m in EXTRA_MARGINS if m != margin]
    table = new_table(
        f"{family}: {some['labels']} labelled changes, {some['false_alarms']['quiet_series']} "
        f"quiet series, margin +/-{margin}",
        ["technique", "alerts", "matched", "precision", "recall", "F1"]
        + [f"F1 +/-{m}" for m in extra]
        + ["total s", "ms/series"],
    )
    for name, s in scores.items():
        table.add_row(
            name,
            str(s["alerts"]),
            str(s["matched"]),
            show(s["precision"]),
            show(s["recall"]),
            show(s["f1"]),
            *(show(s["f1_by_margin"][m]) for m in extra),
            f"{s['seconds_total']:.1f}",
            show(s["ms_per_series"], 1),
        )
    return table


def false_alarm_table(family: str, scores: dict[str, dict[str, Any]]) -> Table:
    """False alarms per 100 quiet series, in all and per quiet kind."""
    table = new_table(
        f"{family}: false alarms per 100 quiet series",
        ["technique", "all quiet", "series with alarm %", *QUIET_KINDS],
    )
    for name, s in scores.items():
        alarms = s["false_alarms"]
        table.add_row(
            name,
            show(alarms["per_100_quiet"], 1),
            show(alarms["series_with_alarm_percent"], 1),
            *(show(alarms["per_100_by_kind"][kind], 1) for kind in QUIET_KINDS),
        )
    return table


def delta_table(family: str, scores: dict[str, dict[str, Any]]) -> Table:
    """Recall per effect-size bin."""
    some = next(iter(scores.values()))["recall_by_delta"]
    table = new_table(
        f"{family}: recall by effect size (noise sds)",
        ["technique", *(f"{b} ({some[b]['labels']})" for b in some)],
    )
    for name, s in scores.items():
        bins = s["recall_by_delta"]
        table.add_row(name, *(show(ratio(v["found"], v["labels"])) for v in bins.values()))
    return table


def kind_table(family: str, scores: dict[str, dict[str, Any]]) -> Table:
    """Per kind: changes found / labelled, and false positives, for each technique."""
    names = list(scores)
    table = new_table(
        f"{family}: per kind, changes found/labelled and false positives (FP)",
        ["kind", "series", *names],
    )
    for kind in next(iter(scores.values()))["by_kind"]:
        rows = [scores[name]["by_kind"][kind] for name in names]
        cells = [
            (f"{r['found']}/{r['labels']} " if r["labels"] else "") + f"FP {r['false_positives']}"
            for r in rows
        ]
        table.add_row(kind, str(rows[0]["series"]), *cells)
    return table


def agreement_table(agreements: dict[str, dict[str, Any]]) -> Table:
    table = new_table(
        "opwatch cdf_squared vs mozdetect smoothed lane",
        [
            "family",
            "series",
            "identical %",
            "opwatch alerts",
            "mozdetect alerts",
            "pairs +/-1",
            "alert agreement %",
            "dropped by mozdetect",
        ],
    )
    for family, a in agreements.items():
        table.add_row(
            family,
            str(a["series"]),
            show(a["identical_percent"], 1),
            str(a["ours"]),
            str(a["theirs"]),
            str(a["pairs_within_1"]),
            show(a["alert_agreement_percent"], 1),
            str(a["theirs_dropped"]),
        )
    return table


def target_line(family: str, goal: dict[str, Any]) -> str:
    status = "met" if goal["met"] else "not met"
    if goal["gap"] is None:
        status += " (mozdetect not run)"
    return (
        f"{family}: target: F1 >= {TARGET_F1}, >= {TARGET_GAP} above mozdetect cdf_squared, "
        f"< {TARGET_FALSE_ALARMS:g} false alarm / 100 quiet series: {status} "
        f"(F1 {goal['f1']:.3f}, mozdetect {show(goal['mozdetect_f1'], 3)}, "
        f"{goal['false_alarms_per_100_quiet']:.1f} false alarms / 100)"
    )


# --- main ----------------------------------------------------------------------------------


def run_all(records: list[Record], arguments: argparse.Namespace) -> list[Run]:
    """Every technique on every series."""
    runs = []
    for technique in OPWATCH_TECHNIQUES:
        started = time.perf_counter()
        runs.append(run_opwatch(records, technique))
        CONSOLE.print(f"opwatch {technique}: {time.perf_counter() - started:.1f} s (two passes)")
    runs.append(run_never(records))
    if not arguments.skip_mozdetect:
        python = mozdetect_python(VENV, CONSOLE)
        for smoothed_only in (False, True):
            run = run_mozdetect(
                records,
                python,
                smoothed_only,
                arguments.jobs,
                arguments.fresh,
                cache=DATA,
                console=CONSOLE,
            )
            runs.append(run)
    return runs


def family_runs(
    records: list[Record], runs: list[Run], family: str
) -> tuple[list[Record], list[Run]]:
    """The records of ``family`` and every run restricted to them."""
    chosen = [i for i, record in enumerate(records) if record.family == family]
    return [records[i] for i in chosen], [run.subset(chosen) for run in runs]


def report_family(records: list[Record], runs: list[Run], margin: int) -> dict[str, Any]:
    """Print a family's tables; its figures."""
    family = records[0].family
    scores = {run.technique: figures(records, run, margin) for run in runs}
    CONSOLE.print(accuracy_table(family, scores, margin))
    for table in (false_alarm_table, delta_table, kind_table):
        CONSOLE.print(table(family, scores))
    by_name = {run.technique: run for run in runs}
    result: dict[str, Any] = {"scores": scores, "target": target(scores)}
    if MOZDETECT_SMOOTHED in by_name:
        result["agreement"] = agreement(by_name["cdf_squared"], by_name[MOZDETECT_SMOOTHED])
    return result


def output_path(seed: int, scale: float) -> Path:
    suffix = "" if scale == 1 else f"-x{scale:g}"
    return DATA / f"detection-{seed}{suffix}.json"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    seeds = f"{REPORTED_SEED}: the reported set; {DEVELOPMENT_SEED}: the development set"
    parser.add_argument("--seed", type=int, default=REPORTED_SEED, help=seeds)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the series counts")
    parser.add_argument("--skip-mozdetect", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="mozdetect processes")
    parser.add_argument("--margin", type=int, default=5, help="points an alert may be off")
    parser.add_argument(
        "--fresh-mozdetect",
        dest="fresh",
        action="store_true",
        help="run mozdetect even when its results for these series are cached",
    )
    return parser.parse_args()


def main() -> None:
    """Generate, detect, score, print, write."""
    arguments = parse_arguments()
    started = time.perf_counter()
    DATA.mkdir(parents=True, exist_ok=True)
    if arguments.seed == DEVELOPMENT_SEED:
        CONSOLE.print(f"seed {DEVELOPMENT_SEED} is the development set: do not report it")
    records = generate(arguments.seed, arguments.scale)
    CONSOLE.print(f"{len(records)} series (seed {arguments.seed}, scale {arguments.scale:g})")
    runs = run_all(records, arguments)
    families = {}
    for family in FAMILIES:
        family_records, subset = family_runs(records, runs, family)
        families[family] = report_family(family_records, subset, arguments.margin)
    agreements = {f: r["agreement"] for f, r in families.items() if "agreement" in r}
    if agreements:
        CONSOLE.print(agreement_table(agreements))
    for family, result in families.items():
        CONSOLE.print(target_line(family, result["target"]), markup=False, soft_wrap=True)
    wall = time.perf_counter() - started
    write_figures(arguments, records, families, wall)
    CONSOLE.print(
        f"wall time {wall:.0f} s; figures in {output_path(arguments.seed, arguments.scale)}"
    )


def write_figures(
    arguments: argparse.Namespace,
    records: list[Record],
    families: dict[str, Any],
    wall: float,
) -> None:
    """The figures as JSON under ``DATA``."""
    kinds = {
        family: {
            kind: sum(r.family == family and r.kind == kind for r in records)
            for kind in KIND_COUNTS
        }
        for family in FAMILIES
    }
    document = {
        "seed": arguments.seed,
        "reported_seed": REPORTED_SEED,
        "development_seed": DEVELOPMENT_SEED,
        "scale": arguments.scale,
        "margin": arguments.margin,
        "series": kinds,
        "families": families,
        "wall_seconds": wall,
    }
    output_path(arguments.seed, arguments.scale).write_text(json.dumps(document, indent=1))


if __name__ == "__main__":
    main()
