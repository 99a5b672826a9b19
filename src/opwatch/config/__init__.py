"""The configuration layer: OpMon-compatible TOML (both generations) → a validated Project.

The names below load on first use (PEP 562): a caller that needs one model or the settings
(``opwatch.config.models``, the command line's option types) does not pay for the loader,
which imports sqlglot and Jinja.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULES = {
    "Diagnostic": "diagnostics",
    "Report": "diagnostics",
    "Severity": "diagnostics",
    "ConfigLoader": "loader",
    "ValidationResult": "loader",
    "load_experiments": "loader",
    "load_project": "loader",
    "validate_paths": "loader",
    "Project": "resolved",
    "Settings": "settings",
    "load_settings": "settings",
}
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


def __getattr__(name: str) -> Any:
    """A public name of the layer, imported from its module when first asked for."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"opwatch.config.{_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
