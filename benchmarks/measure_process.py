"""Run one benchmark step in a fresh Python process and measure it.

Each step of a benchmark runs in a child process so that its peak memory is its own (the
parent's imports and data do not count) and its caches start cold, as a real run's do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def measure_step(script: str, arguments: list[str], threads: int) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of ``python script arguments``.

    Numerical libraries are limited to ``threads`` threads, like the engine.
    """
    command = [sys.executable, script, *arguments]
    started = time.perf_counter()
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(arguments)} failed with status {status}")
    return seconds, usage.ru_maxrss / 1024
