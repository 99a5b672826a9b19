"""Run ``opwatch`` as a user does: a subprocess, its output and exit code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomli_w

from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import DemoSpec, generate


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


def demo_installation(folder: Path, spec: DemoSpec) -> Path:
    """``folder`` made an installation: generated data of ``spec``, the demo config tree, and
    an opwatch.toml mapping the tables, results in ``results/``."""
    data = generate(spec, folder / "data")
    shutil.copytree(demo_config_dir(), folder / "config")
    settings = {
        "config": {"projects": "config/opmon"},
        "engine": {"results": "results"},
        "tables": data.tables,
    }
    (folder / "opwatch.toml").write_text(tomli_w.dumps(settings))
    return folder
