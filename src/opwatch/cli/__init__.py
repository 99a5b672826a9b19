"""The ``opwatch`` command: a thin layer over the library, one small function per command.

Commands register on :data:`app` when their module is imported: configuration
(``validate``, ``show``), the ETL (``run``, ``backfill``, ``render``), ``detect``,
``alerts``, ``serve`` and ``demo``.
"""

from opwatch.cli import (
    alerts_command,
    config_commands,
    demo_command,
    detect_command,
    run_commands,
    serve_command,
)
from opwatch.cli.app import app, main

__all__ = [
    "alerts_command",
    "app",
    "config_commands",
    "demo_command",
    "detect_command",
    "main",
    "run_commands",
    "serve_command",
]
