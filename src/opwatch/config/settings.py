"""opwatch's own settings (``opwatch.toml``): where to find things, what may be fetched.

Settings are about the installation, not about a project: extra definition folders, the source
of experiment metadata, and whether validation may use the network. They are read from the file
given with ``--settings``, else ``./opwatch.toml`` when present, else defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from opwatch.config.diagnostics import Diagnostic
from opwatch.config.source import read_toml

SETTINGS_FILE = "opwatch.toml"


class ExperimentSettings(BaseModel):
    """Where experiment and rollout metadata (Experimenter v6 JSON) comes from."""

    model_config = ConfigDict(extra="forbid")
    metadata: str | None = Field(
        default=None, description="A path or http(s) URL of Experimenter v6 JSON."
    )
    fetch: bool = Field(default=False, description="Allow reading metadata from a URL.")


class ConfigSettings(BaseModel):
    """How configuration files are found and read."""

    model_config = ConfigDict(extra="forbid")
    projects: Path | None = Field(default=None, description="Folder of project files.")
    definitions: list[Path] = Field(
        default_factory=list, description="Extra definition folders, lowest precedence."
    )
    max_file_mb: int = Field(default=10, gt=0, description="Largest config file accepted.")


class Settings(BaseModel):
    """All settings of an opwatch installation."""

    model_config = ConfigDict(extra="forbid")
    config: ConfigSettings = Field(default_factory=ConfigSettings)
    experiments: ExperimentSettings = Field(default_factory=ExperimentSettings)


def load_settings(path: Path | None) -> Settings | Diagnostic:
    """Settings from ``path`` (or ``./opwatch.toml`` if it exists), relative paths resolved."""
    if path is None:
        default = Path(SETTINGS_FILE)
        if not default.is_file():
            return Settings()
        path = default
    parsed = read_toml(path)
    if isinstance(parsed, Diagnostic):
        return parsed
    try:
        settings = Settings.model_validate(parsed.data)
    except ValueError as error:
        return Diagnostic(path, "", f"invalid settings: {error}", "see docs/config-reference.md")
    base = path.parent
    settings.config.definitions = [base / d for d in settings.config.definitions]
    if settings.config.projects is not None:
        settings.config.projects = base / settings.config.projects
    metadata = settings.experiments.metadata
    if metadata and "://" not in metadata:
        settings.experiments.metadata = str(base / metadata)
    return settings
