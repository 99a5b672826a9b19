"""The exception tree every opwatch failure belongs to.

::

    OpwatchError                 the only exception the CLI catches
    ├── ConfigError              a configuration could not be loaded or is invalid;
    │                            carries every Diagnostic of the run
    └── ProjectNotFoundError     a project name or path that matches no file

Later stages add RenderError, EngineError, DetectionError and NotifyError below the root.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opwatch.config.diagnostics import Diagnostic


class OpwatchError(Exception):
    """Root of every error opwatch raises on purpose."""


class ConfigError(OpwatchError):
    """A configuration is invalid; ``diagnostics`` holds every problem found, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        lines = [diagnostic.format() for diagnostic in self.diagnostics]
        super().__init__("\n".join(lines) or "invalid configuration")


class ProjectNotFoundError(OpwatchError):
    """A project named on the command line matches no configuration file."""
