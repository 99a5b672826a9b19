"""The names users may import are pinned: changing them is a deliberate, visible act."""

from __future__ import annotations

import opwatch
from opwatch.errors import ConfigError, OpwatchError, ProjectNotFoundError


def test_public_names() -> None:
    assert sorted(opwatch.__all__) == [
        "ConfigError",
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
    for name in opwatch.__all__:
        assert hasattr(opwatch, name)


def test_every_error_derives_from_the_root() -> None:
    assert issubclass(ConfigError, OpwatchError)
    assert issubclass(ProjectNotFoundError, OpwatchError)
