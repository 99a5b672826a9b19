"""Scoring for ``benchmarks/detection.py``: runs of a technique, and how their alerts score.

A ``Run`` is one technique's alerts on every series of the set, with its timing. Each alert is
matched to at most one labelled change of the same direction within a margin of points,
closest pairs first; every other alert is a false positive. From that: pooled precision,
recall and F1 (also at margins 3 and 7), false alarms per 100 quiet series, recall by effect
size, per-kind counts, the agreement of two techniques' alerts, and whether ``binseg`` meets
its target against mozdetect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from detection_data import QUIET_KINDS, Record

EXTRA_MARGINS = (3, 7)
DELTA_BINS = ((2.0, 3.0), (3.0, 4.0), (4.0, 6.0))
AGREEMENT_MARGIN = 1
MOZDETECT = "mozdetect"
MOZDETECT_SMOOTHED = "mozdetect smoothed"
TARGET_F1, TARGET_GAP, TARGET_FALSE_ALARMS = 0.9, 0.2, 1.0

Alert = tuple[int, str]
"""A change as scored: the first point of the new regime and its direction."""


@dataclass
class Run:
    """One technique's alerts on every series (in the set's order) and its timing."""

    technique: str
    alerts: list[list[Alert]]
    seconds: list[float]
    """Seconds per series (for opwatch's techniques, of the second, warm pass)."""
    cold_seconds: list[float]
    """Seconds per series of the first pass (the same as ``seconds`` for mozdetect)."""
    details: list[dict[str, Any]] = field(default_factory=list)
    """Per series, what mozdetect's worker said besides the alerts (empty for opwatch)."""

    def subset(self, chosen: Sequence[int]) -> Run:
        """This run on the series at ``chosen`` only."""
        return Run(
            self.technique,
            [self.alerts[i] for i in chosen],
            [self.seconds[i] for i in chosen],
            [self.cold_seconds[i] for i in chosen],
            [self.details[i] for i in chosen] if self.details else [],
        )

    def notes(self) -> dict[str, Any]:
        """mozdetect's failures, detections it dropped, alerts per lane (empty for opwatch)."""
        if not self.details:
            return {}
        lanes = [lane for detail in self.details for lane in detail["lanes"]]
        return {
            "errors": [d["error"] for d in self.details if d["error"]],
            "dropped_detections": sum(d["dropped"] for d in self.details),
            "alerts_by_lane": {lane: lanes.count(lane) for lane in sorted(set(lanes))},
        }


def match(left: Sequence[Alert], right: Sequence[Alert], margin: int) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of the same direction within ``margin`` points, closest first, each
    element used at most once."""
    candidates = sorted(
        (abs(a[0] - b[0]), i, j)
        for i, a in enumerate(left)
        for j, b in enumerate(right)
        if a[1] == b[1] and abs(a[0] - b[0]) <= margin
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_left and j not in used_right:
            used_left.add(i)
            used_right.add(j)
            pairs.append((i, j))
    return pairs


@dataclass(frozen=True)
class Outcome:
    """One technique on one family at one margin: per series, what matched."""

    found: list[list[bool]]
    """Per series, whether each labelled change was matched."""
    false_positives: list[int]
    """Per series, alerts not matched to a change."""
    alerts: list[int]


def outcome(records: Sequence[Record], alerts: Sequence[list[Alert]], margin: int) -> Outcome:
    """Match each series' alerts to its labelled changes."""
    found, false_positives = [], []
    for record, series_alerts in zip(records, alerts, strict=True):
        labels = [(label.index, label.direction) for label in record.labels]
        matched = {j for _, j in match(series_alerts, labels, margin)}
        found.append([j in matched for j in range(len(labels))])
        false_positives.append(len(series_alerts) - len(matched))
    return Outcome(found, false_positives, [len(a) for a in alerts])


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def accuracy(result: Outcome) -> dict[str, float | int | None]:
    """Pooled precision, recall and F1."""
    matched = sum(sum(flags) for flags in result.found)
    labels = sum(len(flags) for flags in result.found)
    alerts = sum(result.alerts)
    precision, recall = ratio(matched, alerts), ratio(matched, labels)
    f1 = 0.0
    if precision and recall:
        f1 = 2 * precision * recall / (precision + recall)
    return {
        "alerts": alerts,
        "matched": matched,
        "labels": labels,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def false_alarms(records: Sequence[Record], result: Outcome) -> dict[str, Any]:
    """Alerts on quiet series per 100 of them, in all and per quiet kind."""
    quiet = [i for i, record in enumerate(records) if record.quiet]
    per_kind = {}
    for kind in QUIET_KINDS:
        chosen = [i for i in quiet if records[i].kind == kind]
        per_kind[kind] = ratio(100 * sum(result.alerts[i] for i in chosen), len(chosen))
    return {
        "quiet_series": len(quiet),
        "per_100_quiet": ratio(100 * sum(result.alerts[i] for i in quiet), len(quiet)),
        "series_with_alarm_percent": ratio(
            100 * sum(result.alerts[i] > 0 for i in quiet), len(quiet)
        ),
        "per_100_by_kind": per_kind,
    }


def delta_bin(delta: float) -> str | None:
    for low, high in DELTA_BINS:
        if low <= delta < high or (high == DELTA_BINS[-1][1] and delta == high):
            return f"{low:g}-{high:g}"
    return None


def recall_by_delta(records: Sequence[Record], result: Outcome) -> dict[str, dict[str, int]]:
    """Changes found and labelled per effect-size bin."""
    table = {f"{low:g}-{high:g}": {"found": 0, "labels": 0} for low, high in DELTA_BINS}
    for record, flags in zip(records, result.found, strict=True):
        for label, hit in zip(record.labels, flags, strict=True):
            name = delta_bin(label.delta)
            if name is not None:
                table[name]["labels"] += 1
                table[name]["found"] += int(hit)
    return table


def by_kind(records: Sequence[Record], result: Outcome) -> dict[str, dict[str, int]]:
    """Per kind: series, changes labelled and found, false positives."""
    table: dict[str, dict[str, int]] = {}
    for i, record in enumerate(records):
        row = table.setdefault(
            record.kind, {"series": 0, "labels": 0, "found": 0, "false_positives": 0}
        )
        row["series"] += 1
        row["labels"] += len(result.found[i])
        row["found"] += sum(result.found[i])
        row["false_positives"] += result.false_positives[i]
    return table


def figures(records: Sequence[Record], run: Run, margin: int) -> dict[str, Any]:
    """Everything reported for one technique on one family."""
    main = outcome(records, run.alerts, margin)
    f1_by_margin = {
        str(m): accuracy(outcome(records, run.alerts, m))["f1"]
        for m in sorted({margin, *EXTRA_MARGINS})
    }
    return {
        **accuracy(main),
        "f1_by_margin": f1_by_margin,
        "false_alarms": false_alarms(records, main),
        "recall_by_delta": recall_by_delta(records, main),
        "by_kind": by_kind(records, main),
        "seconds_total": float(sum(run.cold_seconds)),
        "ms_per_series": 1000 * float(np.mean(run.seconds)) if run.seconds else None,
        "mozdetect": run.notes(),
    }


def agreement(our_run: Run, their_run: Run) -> dict[str, Any]:
    """How often two techniques' alerts agree: whole series, and alert by alert (+/-1)."""
    ours, theirs = our_run.alerts, their_run.alerts
    identical = sum(set(a) == set(b) for a, b in zip(ours, theirs, strict=True))
    pairs = sum(len(match(a, b, AGREEMENT_MARGIN)) for a, b in zip(ours, theirs, strict=True))
    alerts = sum(len(a) for a in ours) + sum(len(b) for b in theirs)
    return {
        "series": len(ours),
        "identical_percent": ratio(100 * identical, len(ours)),
        "ours": sum(len(a) for a in ours),
        "theirs": sum(len(b) for b in theirs),
        "pairs_within_1": pairs,
        "alert_agreement_percent": ratio(100 * 2 * pairs, alerts),
        "theirs_dropped": their_run.notes().get("dropped_detections", 0),
    }


def target(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Whether binseg meets the target on one family."""
    ours = scores["binseg"]
    theirs = scores.get(MOZDETECT)
    gap = None if theirs is None else ours["f1"] - theirs["f1"]
    alarms = ours["false_alarms"]["per_100_quiet"] or 0.0
    met = ours["f1"] >= TARGET_F1 and gap is not None and gap >= TARGET_GAP
    return {
        "f1": ours["f1"],
        "mozdetect_f1": None if theirs is None else theirs["f1"],
        "gap": gap,
        "false_alarms_per_100_quiet": alarms,
        "met": met and alarms < TARGET_FALSE_ALARMS,
    }
