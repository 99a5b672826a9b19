"""How long validating the whole shared corpus takes, beside the bare cost of reading it.

Baselines measured in the same run: parsing every file with tomllib alone (the floor of any
validator), and tomllib plus pydantic schema validation without merging or SQL parsing.
Run: ``.venv/bin/python benchmarks/validate_corpus.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from opwatch.config import validate_paths
from opwatch.config.legacy import to_current
from opwatch.config.models import ConfigFile
from opwatch.config.sql_check import check_snippet

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
ROOTS = [CORPUS / "metric-hub", CORPUS / "opmon-config-2022"]


def corpus_files() -> list[Path]:
    """Every TOML file of the corpus."""
    return sorted(p for root in ROOTS for p in root.rglob("*.toml"))


def parse_only() -> None:
    """Baseline: read and parse each file once."""
    for path in corpus_files():
        tomllib.loads(path.read_text(encoding="utf-8"))


def parse_and_schema() -> None:
    """Baseline: parse and schema-validate each file once (no merge, no SQL)."""
    for path in corpus_files():
        data = to_current(tomllib.loads(path.read_text(encoding="utf-8")))
        data.get("segments", {}).pop("data_sources", None)
        with contextlib.suppress(ValueError):
            ConfigFile.model_validate(data)


def full_validation() -> None:
    """opwatch validate: every project merged, referenced names resolved, all SQL parsed."""
    check_snippet.cache_clear()  # each run pays for parsing, as a fresh process does
    result = validate_paths(ROOTS)
    assert result.ok, [d.format() for d in result.report.errors]


def measure(function: Callable[[], None], repeat: int) -> list[float]:
    """Wall times of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    files = corpus_files()
    table = Table(title=f"Validating the corpus: {len(files)} files, median of {repeat} runs")
    for column in ("what", "median ms", "min ms", "x parse only"):
        table.add_column(column, justify="right" if column != "what" else "left")
    cases = [
        ("tomllib parse only (baseline)", parse_only),
        ("parse + schema (baseline)", parse_and_schema),
        ("opwatch validate (37 projects, merge, SQL)", full_validation),
    ]
    base = None
    for name, function in cases:
        times = measure(function, repeat)
        median = statistics.median(times)
        base = base or median
        table.add_row(
            name, f"{median * 1000:.0f}", f"{min(times) * 1000:.0f}", f"{median / base:.1f}"
        )
    Console().print(table)


if __name__ == "__main__":
    main()
