"""``opwatch`` starts instantly: asking for help imports no database, web or science library.

Every call of the command line imports the app and every command module before it can print a
line, so a heavy import at the top of one command slows all of them (issue 17: ~3 s before
``opwatch --help`` printed anything). Each check runs in a fresh interpreter, the only place
where ``sys.modules`` says what one command really imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from opwatch import __version__
from tests.cli.helpers import TERMINAL, opwatch, opwatch_process
from tests.cli.test_config_commands import COMMANDS

HEAVY = frozenset(
    {
        "alembic",
        "duckdb",
        "fastapi",
        "glean_parser",
        "httpx",
        "numpy",
        "pyarrow",
        "scipy",
        "sqlalchemy",
        "uvicorn",
    }
)
"""Top-level packages no ``--help`` may import: each costs tens to hundreds of milliseconds."""

PROBE = """
import contextlib, io, json, sys
{prelude}
from opwatch.cli.app import main

imported = {{}}
for argv in json.loads(sys.argv[1]):
    sys.argv = ["opwatch", *argv]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main()
        except SystemExit as exit_:
            assert exit_.code in (0, None), (argv, exit_.code)
    imported[" ".join(argv)] = sorted({{name.partition(".")[0] for name in sys.modules}})
print(json.dumps(imported))
"""
"""Runs ``opwatch <argv>`` for each argv in turn in one interpreter, printing the top-level
packages imported after each (cumulative: the first command to import one is the culprit)."""


def heavy_imports(*argvs: list[str], prelude: str = "") -> dict[str, list[str]]:
    """For each command line, in a fresh interpreter, the heavy packages imported so far."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(prelude=prelude), json.dumps(argvs)],
        capture_output=True,
        text=True,
        env={**os.environ, **TERMINAL},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    imported: dict[str, list[str]] = json.loads(done.stdout)
    return {command: sorted(HEAVY.intersection(names)) for command, names in imported.items()}


@pytest.mark.parametrize("command", [[], ["validate"]], ids=["opwatch", "validate"])
def test_help_imports_nothing_heavy(command: list[str]) -> None:
    """The two helps users reach first, each alone in a fresh interpreter."""
    assert heavy_imports([*command, "--help"]) == {" ".join([*command, "--help"]): []}


def test_no_command_help_imports_anything_heavy() -> None:
    """Every command's help, one after another in one interpreter (one start, not nine)."""
    found = heavy_imports(*([command, "--help"] for command in COMMANDS))
    assert found == {f"{command} --help": [] for command in COMMANDS}


def test_the_probe_sees_a_heavy_import() -> None:
    """The check can fail: a command module that imports DuckDB at the top is caught."""
    found = heavy_imports(["--help"], prelude="import duckdb")
    assert found == {"--help": ["duckdb"]}


@pytest.mark.slow
def test_python_dash_m_opwatch_prints_the_version() -> None:
    """The entry point in a real interpreter: ``python -m opwatch`` (the other tests call
    ``main`` in this process, and get what it prints)."""
    result = opwatch_process("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"opwatch {__version__}\n"
    in_process = opwatch("--version")
    assert (in_process.returncode, in_process.stdout) == (0, result.stdout)
