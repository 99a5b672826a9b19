"""Which files feed a project, and in which order they override each other.

A project takes defaults from ``defaults/<platform>.toml`` and metric, data source, dimension,
segment and function definitions from ``definitions/<platform>.toml``, in the layouts of both
corpora::

    metric-hub/                      opmon-config-2022/
      definitions/<platform>.toml      definitions/<platform>.toml
      definitions/functions.toml       <project>.toml
      opmon/
        defaults/<platform>.toml
        definitions/<platform>.toml
        <project>.toml

Layers, lowest precedence first, as OpMon's command line stacks them: shared functions, the
platform's shared definitions (``../definitions``), its monitoring definitions
(``definitions/``), its defaults (``defaults/<platform>.toml``), the rollout defaults (for a
rollout), then the project file itself. Defaults win over definitions. A project with
``skip_default_metrics = true`` takes no defaults layer at all: neither their metrics nor their
``[project]`` values nor their definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DEFAULT_PLATFORM = "firefox_desktop"
ROLLOUT_DEFAULTS = "rollout"
FUNCTIONS_FILE = "functions.toml"


class LayerRole(StrEnum):
    """What a configuration file contributes to a project."""

    DEFAULTS = "defaults"
    DEFINITIONS = "definitions"
    PROJECT = "project"


@dataclass(frozen=True)
class LayerSource:
    """A file that may feed a project, with its role; it need not exist."""

    role: LayerRole
    path: Path


def definition_dirs(project_dir: Path, extra_dirs: tuple[Path, ...] = ()) -> list[Path]:
    """Definition folders for projects in ``project_dir``, lowest precedence first."""
    candidates = [*extra_dirs, project_dir.parent / "definitions", project_dir / "definitions"]
    return [d for d in dict.fromkeys(candidates) if d.is_dir()]


def defaults_dir(project_dir: Path) -> Path:
    """The folder of per-platform defaults for projects in ``project_dir``."""
    return project_dir / "defaults"


def project_layers(
    project_path: Path,
    platform: str,
    *,
    rollout: bool,
    skip_defaults: bool = False,
    extra_dirs: tuple[Path, ...] = (),
) -> list[LayerSource]:
    """Every existing file that feeds ``project_path``, lowest precedence first.

    ``rollout``: the slug is a rollout in the experiment metadata, so the rollout defaults
    apply; ``skip_defaults``: the project sets ``skip_default_metrics``.
    """
    project_dir = project_path.parent
    dirs = definition_dirs(project_dir, extra_dirs)
    sources = [LayerSource(LayerRole.DEFINITIONS, d / FUNCTIONS_FILE) for d in dirs]
    sources += [LayerSource(LayerRole.DEFINITIONS, d / f"{platform}.toml") for d in dirs]
    if not skip_defaults:
        defaults = [defaults_dir(project_dir) / f"{platform}.toml"]
        if rollout:
            defaults.append(defaults_dir(project_dir) / f"{ROLLOUT_DEFAULTS}.toml")
        sources += [LayerSource(LayerRole.DEFAULTS, path) for path in defaults]
    existing = [s for s in sources if s.path.is_file()]
    return [*existing, LayerSource(LayerRole.PROJECT, project_path)]


def known_platforms(project_dir: Path, extra_dirs: tuple[Path, ...] = ()) -> list[str]:
    """Platforms that have a definitions or defaults file near ``project_dir``."""
    folders = [*definition_dirs(project_dir, extra_dirs), defaults_dir(project_dir)]
    names = {
        path.stem
        for folder in folders
        if folder.is_dir()
        for path in folder.glob("*.toml")
        if path.name != FUNCTIONS_FILE and path.stem != ROLLOUT_DEFAULTS
    }
    return sorted(names)


def role_of(path: Path) -> LayerRole:
    """Classify a file given on the command line by the folder it sits in."""
    if path.parent.name == "defaults":
        return LayerRole.DEFAULTS
    if path.parent.name == "definitions":
        return LayerRole.DEFINITIONS
    return LayerRole.PROJECT
