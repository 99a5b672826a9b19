"""Run ``opwatch`` as a user does: a subprocess, its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def opwatch(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``opwatch *args`` in ``cwd``, without colours, at a wide terminal."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "opwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
