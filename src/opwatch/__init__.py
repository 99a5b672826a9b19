"""opwatch: self-service operational monitoring for product telemetry.

The public surface is listed in ``__all__`` (pinned by a test), with the change-detection API
of :mod:`opwatch.detect` (its own ``__all__``, pinned too); everything else is internal.
"""

from opwatch.config import (
    Diagnostic,
    Project,
    Settings,
    ValidationResult,
    load_project,
    validate_paths,
)
from opwatch.errors import ConfigError, DetectionError, OpwatchError, ProjectNotFoundError

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
