"""The exception tree every opwatch failure belongs to.

::

    OpwatchError                 the only exception the CLI catches
    ├── ConfigError              a configuration could not be loaded or is invalid;
    │                            carries every Diagnostic of the run
    ├── ProjectNotFoundError     a project name or path that matches no file
    ├── RenderError              a valid project cannot be turned into SQL (names the project)
    ├── EngineError              the engine failed or refused to run a query; carries the
    │                            project, the engine and the statement that failed
    ├── DetectionError           a series or a technique's arguments cannot be used for change
    │                            detection (names the technique and the fix)
    └── NotifyError              a bug tracker, mail server, webhook or pushlog refused or
                                 failed a request; carries the service and what it said
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


class RenderError(OpwatchError):
    """A project cannot be rendered into SQL: the message names the project and the fix."""


class EngineError(OpwatchError):
    """An engine failed to run a statement; ``project``, ``engine`` and ``sql`` say which."""

    def __init__(
        self, message: str, *, project: str | None = None, engine: str = "", sql: str = ""
    ) -> None:
        self.project, self.engine, self.sql = project, engine, sql
        where = f"{project}: " if project else ""
        super().__init__(f"{where}{engine} engine: {message}" if engine else f"{where}{message}")


class ReadTimeoutError(OpwatchError):
    """A read of results ran past its time budget and was cancelled (the server answers 503)."""


class DetectionError(OpwatchError):
    """A series or a technique's arguments are unusable; the message names the fix."""


class NotifyError(OpwatchError):
    """A notification service (Bugzilla, SMTP, a webhook, a pushlog) failed a request.

    ``service`` names it (``bugzilla``, ``smtp``, ``webhook``, ``pushlog``); ``status`` is the
    HTTP or SMTP status code when there was one. The message says what the service answered
    and what to check.
    """

    def __init__(self, message: str, *, service: str, status: int | None = None) -> None:
        self.service, self.status = service, status
        super().__init__(f"{service}: {message}")
