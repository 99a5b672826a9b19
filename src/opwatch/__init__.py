"""opwatch: self-service operational monitoring for product telemetry.

The public surface is listed in ``__all__`` (pinned by a test), with the change-detection API
of :mod:`opwatch.detect` (its own ``__all__``, pinned too); everything else is internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opwatch.errors import ConfigError, DetectionError, OpwatchError, ProjectNotFoundError

if TYPE_CHECKING:
    from opwatch.config import (
        Diagnostic,
        Project,
        Settings,
        ValidationResult,
        load_project,
        validate_paths,
    )

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DetectionError",
    "Diagnostic",
    "OpwatchError",
    "Project",
    "ProjectNotFoundError",
    "Settings",
    "ValidationResult",
    "__version__",
    "load_project",
    "validate_paths",
]

_CONFIG_NAMES = frozenset(
    {"Diagnostic", "Project", "Settings", "ValidationResult", "load_project", "validate_paths"}
)
"""Public names that live in :mod:`opwatch.config`, imported on first use (PEP 562): importing
any submodule runs this file, and ``opwatch --help`` or ``import opwatch.detect`` must not pay
for pydantic, sqlglot and Jinja, which the configuration layer loads."""


def __getattr__(name: str) -> Any:
    """``opwatch.Project`` and the other configuration names, loaded when first asked for."""
    if name in _CONFIG_NAMES:
        from opwatch import config

        value = getattr(config, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names with the lazy ones, so ``dir(opwatch)`` lists the public surface."""
    return sorted({*globals(), *__all__})
