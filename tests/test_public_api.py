"""The names users may import are pinned: changing them is a deliberate, visible act."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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


def test_importing_detection_loads_no_configuration_or_sql() -> None:
    """``opwatch.detect`` is a leaf library: importing it (which runs ``opwatch/__init__``) must
    not load the configuration layer's sqlglot and Jinja, nor a database. Pydantic it loads
    itself, for the techniques' arguments. A fresh interpreter: this one has imported it all."""
    probe = "import json, sys, opwatch.detect; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    assert "opwatch.detect" in modules
    assert {name.partition(".")[0] for name in modules} & {"sqlglot", "jinja2", "duckdb"} == set()
    assert "opwatch.config" not in modules


def test_the_configuration_names_load_on_first_use() -> None:
    """The lazy names are the real ones, and a name opwatch does not have is an AttributeError."""
    from opwatch.config import Project, load_project

    assert opwatch.Project is Project and opwatch.load_project is load_project
    assert set(opwatch.__all__) <= set(dir(opwatch))
    with pytest.raises(AttributeError, match="no_such_name"):
        opwatch.no_such_name  # noqa: B018 - the lookup is the test
