"""The configuration layer: OpMon-compatible TOML (both generations) → a validated Project."""

from opwatch.config.diagnostics import Diagnostic, Report, Severity
from opwatch.config.loader import (
    ConfigLoader,
    ValidationResult,
    load_experiments,
    load_project,
    validate_paths,
)
from opwatch.config.resolved import Project
from opwatch.config.settings import Settings, load_settings

__all__ = [
    "ConfigLoader",
    "Diagnostic",
    "Project",
    "Report",
    "Settings",
    "Severity",
    "ValidationResult",
    "load_experiments",
    "load_project",
    "load_settings",
    "validate_paths",
]
