"""Which dimension of a project is the client's platform, and a platform value's name.

Detection searches only the platforms asked for (Windows, Linux and Darwin by default, every
value with ``All``) and the alert workflow keeps only the changes of a metric's owners'
platforms; both read platforms from the result rows by these rules. They are kept apart from
the detection step so that ``opwatch.alerts`` can use them without importing the step, its
engine and its statistics.
"""

from __future__ import annotations

from typing import Any, get_args

from opwatch.config.resolved import Project
from opwatch.config.vocabulary import Platform

PLATFORM_DIMENSIONS = ("os", "normalized_os", "os_name", "platform", "os_family")
"""Dimension names read as the client's platform."""
PLATFORMS: tuple[str, ...] = get_args(Platform)
DEFAULT_PLATFORMS = tuple(platform for platform in PLATFORMS if platform != "All")
_PLATFORM_ALIASES = {
    "windows": "Windows",
    "windows_nt": "Windows",
    "linux": "Linux",
    "darwin": "Darwin",
    "mac": "Darwin",
    "macos": "Darwin",
    "osx": "Darwin",
}


def platform_dimension(project: Project) -> str | None:
    """The project's dimension that holds the client's platform, if any."""
    return next((d for d in project.population.dimensions if d in PLATFORM_DIMENSIONS), None)


def platform_name(value: Any) -> str | None:
    """A platform dimension's value as Windows, Linux or Darwin (None for others)."""
    if value is None:
        return None
    return _PLATFORM_ALIASES.get(str(value).strip().lower())
