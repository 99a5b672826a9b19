"""The names users may import are pinned: changing them is a deliberate, visible act."""

from __future__ import annotations

import opwatch
import opwatch.detect
from opwatch.errors import ConfigError, DetectionError, OpwatchError, ProjectNotFoundError


def test_public_names() -> None:
    assert sorted(opwatch.__all__) == [
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
    for name in opwatch.__all__:
        assert hasattr(opwatch, name)


def test_detection_names() -> None:
    assert sorted(opwatch.detect.__all__) == [
        "Change",
        "Classification",
        "DEFAULT_TECHNIQUE",
        "Direction",
        "TECHNIQUES",
        "Technique",
        "TechniqueArgs",
        "classify",
        "detect",
    ]
    for name in opwatch.detect.__all__:
        assert hasattr(opwatch.detect, name)
    fields = list(opwatch.detect.Change.__dataclass_fields__)
    assert fields[:4] == ["index", "direction", "magnitude", "score"]


def test_every_error_derives_from_the_root() -> None:
    assert issubclass(ConfigError, OpwatchError)
    assert issubclass(ProjectNotFoundError, OpwatchError)
    assert issubclass(DetectionError, OpwatchError)
