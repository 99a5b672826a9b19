"""Write docs/cli.md from the commands' own --help, so the reference cannot drift.

Run ``python scripts/cli_docs.py > docs/cli.md`` after changing a command; a test fails when
the file is out of date.
"""

from __future__ import annotations

import os
import subprocess
import sys

from opwatch.cli import app

HEADER = """# Command reference

Generated from `--help` by `scripts/cli_docs.py`; do not edit by hand.

Exit codes: `0` success; `1` a configuration is invalid; `2` the command line is wrong;
`3` any other opwatch error (unreadable experiment metadata, an engine that cannot start,
another run holding the results); `4` a run finished but some project-days failed (the others
are saved; rerunning retries the failed days).
"""


def help_text(*args: str) -> str:
    """The --help output of ``opwatch *args`` at a fixed width, without colour."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [sys.executable, "-m", "opwatch", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return "\n".join(line.rstrip() for line in result.stdout.strip().splitlines())


def command_names() -> list[str]:
    """The registered commands, in the order --help lists them."""
    return [c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands]


def render() -> str:
    """The whole markdown page."""
    parts = [HEADER, "## `opwatch`\n", "```text", help_text(), "```\n"]
    for name in command_names():
        parts += [f"## `opwatch {name}`\n", "```text", help_text(name), "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
