"""Start-up time of the command line: how long ``opwatch --help`` makes a user wait.

Every call of ``opwatch`` imports the app and all its command modules before it prints a line,
so their imports are paid by every command, ``--help`` included (issue 17). Measured, each in a
fresh interpreter, ``--runs`` times (default 20) after one unmeasured warm-up run (compiled
bytecode cached, files in the page cache), as the median and 90th percentile of wall time:

- ``python -c pass``: the interpreter alone, the floor every command pays;
- ``import opwatch.cli.app`` under ``python -X importtime``: its wall time, and the import time
  of ``opwatch.cli.app`` and everything it pulls in, as ``-X importtime`` reports it (the
  cumulative times of the top-level ``opwatch`` imports, in ms);
- ``opwatch --help`` and ``opwatch validate --help``, run as ``python -m opwatch``.

``--compare-src PATH`` measures the same commands with ``PYTHONPATH=PATH`` too (the ``src`` of
another checkout, e.g. a git worktree of the code before a change), in the same run with the
runs interleaved, so that both rows of a command saw the same machine load.

Run: ``.venv/bin/python benchmarks/cli_startup.py [--runs 20] [--compare-src PATH]``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

IMPORTTIME = "import opwatch.cli.app"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    f"python -X importtime -c '{IMPORTTIME}'": ["-X", "importtime", "-c", IMPORTTIME],
    "opwatch --help": ["-m", "opwatch", "--help"],
    "opwatch validate --help": ["-m", "opwatch", "validate", "--help"],
}
BASELINE = "python -c pass"


@dataclass(frozen=True)
class Code:
    """A version of opwatch to measure: a label and the environment that selects it."""

    label: str
    environment: dict[str, str]


@dataclass
class Timings:
    """The runs of one command on one version of the code."""

    wall_ms: list[float] = field(default_factory=list)
    import_ms: list[float] = field(default_factory=list)


def code_versions(compare_src: Path | None) -> list[Code]:
    """The installed code (any PYTHONPATH removed) and, if asked, the code under ``compare_src``."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    base.update({"COLUMNS": "200", "NO_COLOR": "1"})
    versions = [Code("current", base)]
    if compare_src is not None:
        versions.append(Code(f"{compare_src}", {**base, "PYTHONPATH": str(compare_src)}))
    return versions


def opwatch_file(code: Code) -> str:
    """Where ``import opwatch`` finds the package under ``code``'s environment: the check that
    PYTHONPATH really selects the other checkout."""
    done = subprocess.run(
        [sys.executable, "-c", "import opwatch; print(opwatch.__file__)"],
        env=code.environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def run_once(arguments: list[str], code: Code) -> tuple[float, str]:
    """Wall milliseconds of ``python arguments`` and its stderr (where importtime writes)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *arguments],
        env=code.environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"python {' '.join(arguments)} failed ({code.label}):\n{done.stderr}")
    return elapsed, done.stderr


def opwatch_import_ms(importtime: str) -> float:
    """Milliseconds spent importing opwatch per ``-X importtime``: the cumulative times of the
    imports made at the top level (not nested in another import) of ``opwatch`` modules, which
    together hold every module ``import opwatch.cli.app`` loaded."""
    total_us = 0
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        top_level = name.startswith(" ") and not name.startswith("  ")
        module = name.strip()
        if top_level and cumulative.strip().isdigit() and module.split(".")[0] == "opwatch":
            total_us += int(cumulative)
    return total_us / 1000


def measure(versions: list[Code], runs: int) -> dict[tuple[str, str], Timings]:
    """Every command on every version, ``runs`` times, the versions and commands interleaved
    within each round so that a burst of machine load touches all of them alike."""
    timings = {(name, code.label): Timings() for name in COMMANDS for code in versions}
    for code in versions:  # warm-up: bytecode compiled and cached, files read once
        for arguments in COMMANDS.values():
            run_once(arguments, code)
    for _ in range(runs):
        for name, arguments in COMMANDS.items():
            for code in versions:
                wall, stderr = run_once(arguments, code)
                timing = timings[name, code.label]
                timing.wall_ms.append(wall)
                if "importtime" in arguments:
                    timing.import_ms.append(opwatch_import_ms(stderr))
    return timings


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile, interpolated between the two nearest runs (0.5: the median).
    Not the ``statistics`` module: this folder's ``statistics.py`` benchmark shadows it."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def markdown(timings: dict[tuple[str, str], Timings], versions: list[Code], runs: int) -> str:
    """The table: one row per command and version; the baseline subtracted in its own column."""
    lines = [
        f"| command | code | wall median ms | wall p90 ms | median - `{BASELINE}` ms "
        "| opwatch import ms (median) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in COMMANDS:
        for code in versions:
            timing = timings[name, code.label]
            median = percentile(timing.wall_ms, 0.5)
            baseline = percentile(timings[BASELINE, code.label].wall_ms, 0.5)
            imported = f"{percentile(timing.import_ms, 0.5):.0f}" if timing.import_ms else ""
            lines.append(
                f"| `{name}` | {code.label} | {median:.0f} | {percentile(timing.wall_ms, 0.9):.0f} "
                f"| {median - baseline:.0f} | {imported} |"
            )
    lines.append(f"\n{runs} runs each, interpreter {sys.executable}.")
    return "\n".join(lines)


def main() -> None:
    """Check which code each version imports, measure, print the Markdown table."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="Measured runs per command.")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="Also measure the opwatch package under this folder (put first on PYTHONPATH).",
    )
    arguments = parser.parse_args()
    if arguments.runs < 2:
        parser.error("--runs must be at least 2 (a percentile needs two runs)")
    versions = code_versions(arguments.compare_src)
    for code in versions:
        found = opwatch_file(code)
        print(f"{code.label}: imports {found}")
        if code.label != "current" and not Path(found).resolve().is_relative_to(
            arguments.compare_src.resolve()
        ):
            raise SystemExit(f"PYTHONPATH={arguments.compare_src} does not take precedence")
    print()
    print(markdown(measure(versions, arguments.runs), versions, arguments.runs))


if __name__ == "__main__":
    main()
