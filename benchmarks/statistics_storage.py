"""Rows and bytes of every project's ``<slug>_statistics`` in a results folder, and what
OpMon would store for it.

A statistics table keeps the configured percentiles (and every other statistic) as rows and
the rest of p1 … p99 packed, a row of lists per group (docs/statistics.md). This prints, per
project, the rows and Parquet bytes stored, the packed rows among them, and the rows an
OpMon-like table would hold (the rows but the packed ones);
with ``--before`` (the results of an earlier opwatch, p1 … p99 as rows), the same figures of
that folder side by side.

Run: ``.venv/bin/python benchmarks/statistics_storage.py --results opwatch-demo/results
[--before /tmp/old/results]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

SUFFIX = "_statistics"
ROW_GROUP = 8192
"""The row group size of the run's statistics files (engines/parquet_writes.py)."""


def measure(tables: Path) -> dict[str, tuple[int, ...]]:
    """Project → (rows, bytes, packed rows, OpMon-like rows and bytes) of its statistics
    table: the OpMon-like rows are the rows but the packed ones (the configured percentiles
    and every other statistic), their bytes those of a Parquet file of them alone, written as
    the run writes its files."""
    found: dict[str, tuple[int, ...]] = {}
    for folder in sorted(tables.glob(f"*{SUFFIX}")):
        files = sorted(folder.rglob("*.parquet"))
        if not files:
            continue
        query = "SELECT count(*), count(*) FILTER (parameter = '*') FROM read_parquet(?)"
        rows, packed = duckdb.execute(query, [[str(path) for path in files]]).fetchall()[0]
        size = sum(path.stat().st_size for path in files)
        opmon = _opmon_like_bytes([str(path) for path in files]) if packed else size
        found[folder.name.removesuffix(SUFFIX)] = (rows, size, packed, rows - packed, opmon)
    return found


def _opmon_like_bytes(files: list[str]) -> int:
    """The bytes of the rows but the packed ones, a Parquet file per day as the run writes."""
    with tempfile.TemporaryDirectory() as folder:
        duckdb.execute(
            f"""COPY (SELECT * EXCLUDE (points, lowers, uppers) FROM read_parquet(?)
                WHERE parameter IS DISTINCT FROM '*' ORDER BY metric, statistic, parameter, branch)
            TO '{folder}/rows' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP},
                PARTITION_BY (submission_date))""",
            [files],
        )
        return sum(path.stat().st_size for path in Path(folder).rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="a results folder")
    parser.add_argument("--before", type=Path, help="the same results of an earlier opwatch")
    options = parser.parse_args()
    after = measure(options.results / "tables")
    before = measure(options.before / "tables") if options.before else {}
    table = Table(title=f"statistics storage: {options.results}")
    names = ("project", "rows before", "MB before", "rows", "packed", "MB")
    for name in (*names, "OpMon-like rows", "OpMon-like MB"):
        table.add_column(name, justify="left" if name == "project" else "right")
    totals = [0] * 7
    for slug, figures_after in sorted(after.items(), key=lambda item: -item[1][1]):
        rows, size, packed, configured, opmon = figures_after
        old_rows, old_size = before.get(slug, (0, 0))[:2]
        figures = (old_rows, old_size, rows, packed, size, configured, opmon)
        totals = [total + figure for total, figure in zip(totals, figures, strict=True)]
        table.add_row(slug[:60], *_cells(figures, bool(before)))
    table.add_row("all", *_cells(tuple(totals), bool(before)), style="bold")
    Console(width=160).print(table)


def _cells(figures: tuple[int, ...], with_before: bool) -> list[str]:
    old_rows, old_size, rows, packed, size, configured, opmon = figures
    cells = [f"{old_rows:,}", f"{old_size / 1e6:,.1f}"] if with_before else ["", ""]
    cells += [f"{rows:,}", f"{packed:,}", f"{size / 1e6:,.1f}", f"{configured:,}"]
    return [*cells, f"{opmon / 1e6:,.1f}"]


if __name__ == "__main__":
    main()
