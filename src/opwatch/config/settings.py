"""opwatch's own settings (``opwatch.toml``): where to find things, what may be fetched.

Settings are about the installation, not about a project: extra definition folders, the source
of experiment metadata, whether validation may use the network, which engine runs the SQL,
where the tables that configs name really are, and where results go. They are read from the
file given with ``--settings``, else ``./opwatch.toml`` when present, else defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opwatch.config.alert_settings import AlertSettings
from opwatch.config.diagnostics import Diagnostic, Severity
from opwatch.config.schema_errors import schema_diagnostics
from opwatch.config.source import read_toml
from opwatch.errors import ConfigError

SETTINGS_FILE = "opwatch.toml"
DEFAULT_RUN_MEMORY = "2GB"
"""A run's DuckDB memory when the settings name none: a bound set by the settings, not by the
data (DuckDB's own default, 80 % of RAM, let a 10 M-ping backfill grow to 8.4 GB; at 2 GB it
peaks near 2.3 GB and spills the rest, docs/etl.md#sizing). Raise it on a machine with memory
to spare: less spilling."""


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


class EngineSettings(BaseModel):
    """Which engine runs the generated SQL, with what resources, and where results are kept."""

    model_config = ConfigDict(extra="forbid")
    name: Literal["duckdb", "spark", "bigquery"] = Field(
        default="duckdb", description="Engine that runs the SQL."
    )
    results: Path = Field(
        default=Path("opwatch-results"),
        description="Folder of result tables (partitioned Parquet) and run state.",
    )
    state: str | None = Field(
        default=None,
        description="Run-state database, a SQLAlchemy URL (default: SQLite in the results folder).",
    )
    database: Path | None = Field(
        default=None, description="A DuckDB file holding input tables, attached read-only."
    )
    threads: int | None = Field(default=None, gt=0, description="Engine threads (default: all).")
    memory_limit: str | None = Field(
        default=DEFAULT_RUN_MEMORY,
        description='Memory a run\'s DuckDB session may hold, e.g. "8GB" (default '
        f"{DEFAULT_RUN_MEMORY}; beyond it DuckDB spills to the temporary folder; the "
        "dashboards' reads take serve.memory_limit).",
    )
    batch_days: int = Field(
        default=7, gt=0, description="Days of a submission-date backfill computed by one query."
    )


class ServeSettings(BaseModel):
    """How ``opwatch serve`` answers: the memory and time a read may take, the hosts it serves."""

    model_config = ConfigDict(extra="forbid")
    memory_limit: str = Field(
        default="1GB",
        description='Memory the dashboards\' reads may hold, e.g. "1GB" (a read needing more '
        "fails rather than growing the server).",
    )
    request_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a read may run before it is cancelled and answered with a 503.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Host header values served besides the bound host and localhost ("*": '
        "any; a name behind a proxy, say).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="Server processes answering requests: a request's Python work holds one "
        "core, so on a machine whose cores are not busy with anything else, one process per "
        "core answers more at once. memory_limit is shared among them.",
    )


class Settings(BaseModel):
    """All settings of an opwatch installation."""

    model_config = ConfigDict(extra="forbid")
    config: ConfigSettings = Field(default_factory=ConfigSettings)
    experiments: ExperimentSettings = Field(default_factory=ExperimentSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    tables: dict[str, str] = Field(
        default_factory=dict,
        description="Table names in configs → a local table, or Parquet files (a path or glob).",
    )
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)


def load_settings(path: Path | None) -> Settings:
    """Settings from ``path`` (or ``./opwatch.toml`` if it exists), relative paths resolved.

    A file that cannot be read or holds wrong values raises ConfigError with a diagnostic per
    wrong place (file, line, key path, and the valid values or a "did you mean" where there
    are some), as a project file's errors are reported."""
    if path is None:
        default = Path(SETTINGS_FILE)
        if not default.is_file():
            return Settings()
        path = default
    parsed = read_toml(path)
    if isinstance(parsed, Diagnostic):
        raise ConfigError([parsed])
    try:
        settings = Settings.model_validate(parsed.data)
    except ValidationError as error:
        raise ConfigError(
            schema_diagnostics(parsed, error, Settings, unknown_keys=Severity.ERROR)
        ) from None
    base = path.parent
    settings.config.definitions = [base / d for d in settings.config.definitions]
    if settings.config.projects is not None:
        settings.config.projects = base / settings.config.projects
    settings.engine.results = base / settings.engine.results
    if settings.engine.database is not None:
        settings.engine.database = base / settings.engine.database
    settings.tables = {name: _local_path(base, source) for name, source in settings.tables.items()}
    settings.alerts.metrics_yaml = [base / p for p in settings.alerts.metrics_yaml]
    metadata = settings.experiments.metadata
    if metadata and "://" not in metadata:
        settings.experiments.metadata = str(base / metadata)
    return settings


def is_parquet_source(source: str) -> bool:
    """Whether a ``[tables]`` value names Parquet files rather than a table."""
    return source.endswith(".parquet") or "*" in source or "/" in source


def _local_path(base: Path, source: str) -> str:
    """A Parquet path relative to the settings file made absolute; table names unchanged."""
    if not is_parquet_source(source) or Path(source).is_absolute():
        return source
    return str(base / source)
