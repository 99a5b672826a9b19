"""What a bug or email shows beside the numbers: the distribution before and after a change.

For a histogram metric, the mean histogram of the last ``WINDOW`` x values before the change
and of the first ``WINDOW`` from it, as cumulative shares at the buckets where either crosses
5, 25, 50, 75 and 95 %. Read from the ``histogram`` statistic (one row per bucket, its share
of clients' samples), through the results reader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from opwatch.alerts.model import Alert
from opwatch.results import ResultsReader, StatisticsFilter

WINDOW = 7
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class CdfRow:
    """The cumulative share of samples at or below ``bucket``, before and after."""

    bucket: float
    before: float
    after: float


def cdf_before_after(reader: ResultsReader, alert: Alert) -> list[CdfRow]:
    """The CDF table of ``alert``'s series; empty when the metric has no histogram rows."""
    wanted = {"metric": alert.metric, "statistic": "histogram"}
    if alert.branch is not None:
        wanted["branch"] = alert.branch
    wanted |= {name: value for name, value in alert.dimensions.items() if value is not None}
    rows = reader.statistics(alert.project, StatisticsFilter(wanted))
    by_x: dict[str, dict[float, float]] = defaultdict(dict)
    for row in rows:
        if row["parameter"] is not None and row["point"] is not None:
            by_x[str(row["xaxis_value"])][float(row["parameter"])] = float(row["point"])
    xs = sorted(by_x)
    before = [by_x[x] for x in xs if x < alert.position][-WINDOW:]
    after = [by_x[x] for x in xs if x >= alert.position][:WINDOW]
    if not before or not after:
        return []
    return _crossings(_cdf(before), _cdf(after))


def _cdf(histograms: Sequence[dict[float, float]]) -> dict[float, float]:
    """The mean of ``histograms`` (bucket → share), accumulated and normalized."""
    buckets = sorted({bucket for histogram in histograms for bucket in histogram})
    means = [sum(h.get(b, 0.0) for h in histograms) / len(histograms) for b in buckets]
    total = sum(means) or 1.0
    cdf, running = {}, 0.0
    for bucket, share in zip(buckets, means, strict=True):
        running += share / total
        cdf[bucket] = running
    return cdf


def _crossings(before: dict[float, float], after: dict[float, float]) -> list[CdfRow]:
    buckets = sorted(set(before) | set(after))
    chosen: set[float] = set()
    for cdf in (before, after):
        for level in LEVELS:
            chosen.add(next((b for b in buckets if cdf.get(b, 0.0) >= level), buckets[-1]))
    return [CdfRow(b, _at(before, b), _at(after, b)) for b in sorted(chosen)]


def _at(cdf: dict[float, float], bucket: float) -> float:
    """The CDF at ``bucket`` (the last value at or below it)."""
    known = [value for b, value in sorted(cdf.items()) if b <= bucket]
    return known[-1] if known else 0.0


def cdf_text(rows: Sequence[CdfRow]) -> str:
    """The table as fixed-width text (bugs and emails are plain text)."""
    lines = ["bucket      before   after"]
    lines += [f"{row.bucket:<10.4g} {row.before:7.1%} {row.after:7.1%}" for row in rows]
    return "\n".join(lines)
