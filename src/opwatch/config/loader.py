"""Load projects and validate configuration files: the entry points of the config layer.

:func:`load_project` returns a :class:`~opwatch.config.resolved.Project` or raises
:class:`~opwatch.errors.ConfigError` with every diagnostic; :func:`validate_paths` checks files
and folders and returns a :class:`~opwatch.config.diagnostics.Report`. A :class:`ConfigLoader`
reads each file once per run, however many projects share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from opwatch.config import legacy
from opwatch.config.diagnostics import Diagnostic, Report, Severity, did_you_mean
from opwatch.config.experiments import ExperimentCatalog, ExperimentMetadataError
from opwatch.config.layers import (
    DEFAULT_PLATFORM,
    LayerRole,
    known_platforms,
    project_layers,
    role_of,
)
from opwatch.config.merge import Layer, LayerStack, deep_merge
from opwatch.config.models import ConfigFile
from opwatch.config.resolve import ProjectResolver
from opwatch.config.resolved import Project
from opwatch.config.schema_errors import schema_diagnostics
from opwatch.config.settings import SETTINGS_FILE, Settings
from opwatch.config.source import TomlFile, read_toml
from opwatch.config.standalone import check_definition_snippets
from opwatch.errors import ConfigError


@dataclass
class ValidationResult:
    """What ``opwatch validate`` found: diagnostics, and the projects that resolved."""

    report: Report = field(default_factory=Report)
    projects: list[Project] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return not self.report.errors


class ConfigLoader:
    """Reads, checks and caches configuration files for one run."""

    def __init__(
        self, settings: Settings | None = None, experiments: ExperimentCatalog | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.experiments = experiments
        self._layers: dict[tuple[Path, LayerRole], tuple[Layer | None, list[Diagnostic]]] = {}

    def read_layer(self, path: Path, role: LayerRole) -> tuple[Layer | None, list[Diagnostic]]:
        """A file's layer (None if unusable) and its diagnostics; cached per file."""
        key = (path.resolve(), role)
        if key not in self._layers:
            self._layers[key] = self._read_layer(path, role)
        return self._layers[key]

    def _read_layer(self, path: Path, role: LayerRole) -> tuple[Layer | None, list[Diagnostic]]:
        parsed = read_toml(path, max_bytes=self.settings.config.max_file_mb * 1024 * 1024)
        if isinstance(parsed, Diagnostic):
            return None, [parsed]
        if parsed.is_empty and role is LayerRole.PROJECT:
            return None, [
                Diagnostic(
                    path,
                    "",
                    "the project file is empty",
                    "a project needs at least a [project] table; see docs/config-reference.md",
                    line=1,
                )
            ]
        layer = Layer.of(role, parsed)
        diagnostics = _mixed_generations(parsed)
        try:
            ConfigFile.model_validate(layer.data)
        except ValidationError as error:
            # OpMon ignores keys it does not know; so do we, with a warning, except where OpMon
            # refuses them too or the table is opwatch's own (see Spec.strict_keys)
            found = schema_diagnostics(
                parsed,
                error,
                ConfigFile,
                unknown_keys=Severity.WARNING,
                strict_tables=role is LayerRole.PROJECT,
            )
            diagnostics += _in_file_terms(found, layer)
            layer = _without_unknown_keys(layer, error)
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        return (None if errors else layer), diagnostics

    def load(self, project_path: Path) -> tuple[Project | None, list[Diagnostic]]:
        """Resolve the project at ``project_path``; None and diagnostics when it is invalid."""
        project_layer, found_in_project = self.read_layer(project_path, LayerRole.PROJECT)
        diagnostics = list(found_in_project)  # the cached list must stay as read
        if project_layer is None:
            return None, diagnostics
        project_data = project_layer.data.get("project", {})
        metadata = self._experiment_values(project_path.stem)
        # as OpMon's command line: the project file's platform, else the experiment's app;
        # the rollout defaults for slugs the experiment metadata calls rollouts
        platform = project_data.get("platform") or metadata.get("platform") or DEFAULT_PLATFORM
        extra = tuple(self.settings.config.definitions)
        sources = project_layers(
            project_path,
            platform,
            rollout=bool(metadata.get("is_rollout")),
            skip_defaults=project_data.get("skip_default_metrics") is True,
            extra_dirs=extra,
        )
        layers = []
        for source in sources:
            layer, found = self.read_layer(source.path, source.role)
            diagnostics += found
            if layer is not None:
                layers.append(layer)
        if any(d.severity is Severity.ERROR for d in diagnostics):
            return None, diagnostics
        project, diagnostics = self._resolve(
            project_path.stem, LayerStack(layers), metadata, diagnostics
        )
        if project is None and len(layers) == 1 and "platform" in project_data:
            diagnostics.append(_unknown_platform(project_layer, platform, extra))
        return project, diagnostics

    def _resolve(
        self, slug: str, stack: LayerStack, metadata: dict[str, Any], diagnostics: list[Diagnostic]
    ) -> tuple[Project | None, list[Diagnostic]]:
        merged = dict(stack.merged())
        merged["project"] = deep_merge(metadata, merged.get("project", {}))
        diagnostics = diagnostics + _unmatched_wildcards(stack)
        try:
            config = ConfigFile.model_validate(merged)
        except ValidationError as error:
            diagnostics += schema_diagnostics(
                stack.project.file, error, ConfigFile, unknown_keys=Severity.ERROR
            )
            return None, diagnostics
        resolver = ProjectResolver(slug, stack, config)
        project_model = resolver.resolve()
        found = list(
            dict.fromkeys([*resolver.diagnostics, *check_definition_snippets(stack, config)])
        )
        if any(d.severity is Severity.ERROR for d in found):
            project_model = None
        return project_model, diagnostics + found

    def _experiment_values(self, slug: str) -> dict[str, Any]:
        experiment = self.experiments.get(slug) if self.experiments else None
        return experiment.project_values() if experiment else {}

    def check_file(self, path: Path) -> list[Diagnostic]:
        """Diagnostics of a definitions or defaults file checked on its own."""
        role = role_of(path)
        layer, diagnostics = self.read_layer(path, role)
        if layer is None:
            return diagnostics
        functions = []
        for folder in {path.parent, path.parent.parent / "definitions"}:
            candidate = folder / "functions.toml"
            if candidate.is_file() and candidate.resolve() != path.resolve():
                found, _ = self.read_layer(candidate, LayerRole.DEFINITIONS)
                functions += [found] if found else []
        return diagnostics + check_definition_snippets(LayerStack([*functions, layer]))


def load_project(
    path: Path, settings: Settings | None = None, experiments: ExperimentCatalog | None = None
) -> Project:
    """The validated project at ``path``; raises :class:`ConfigError` listing every problem."""
    project, diagnostics = ConfigLoader(settings, experiments).load(path)
    if project is None:
        raise ConfigError([d for d in diagnostics if d.severity is Severity.ERROR])
    return project


def validate_paths(
    paths: list[Path],
    settings: Settings | None = None,
    experiments: ExperimentCatalog | None = None,
) -> ValidationResult:
    """Validate files and folders (recursively); projects are resolved with their layers."""
    loader = ConfigLoader(settings, experiments)
    result = ValidationResult()
    for file in _config_files(paths, result.report):
        result.files.append(file)
        if role_of(file) is LayerRole.PROJECT:
            project, diagnostics = loader.load(file)
            if project is not None:
                result.projects.append(project)
        else:
            diagnostics = loader.check_file(file)
        result.report.extend(diagnostics)
    return result


def load_experiments(
    settings: Settings, override: str | None, fetch: bool
) -> ExperimentCatalog | None:
    """The experiment catalog named by ``override`` or the settings; None when none is set."""
    source = override or settings.experiments.metadata
    if not source:
        return None
    try:
        return ExperimentCatalog.load(source, fetch=fetch or settings.experiments.fetch)
    except ExperimentMetadataError as error:
        raise ConfigError([Diagnostic(Path(source), "", str(error), None)]) from None


def _config_files(paths: list[Path], report: Report) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*.toml") if p.is_file() and p.name != SETTINGS_FILE
            )
        elif path.exists():
            files.append(path)
        else:
            report.add(Diagnostic(path, "", "no such file or folder", "check the path"))
    return list(dict.fromkeys(files))


def _mixed_generations(file: TomlFile) -> list[Diagnostic]:
    project = file.data.get("project")
    listed_metrics = isinstance(project, dict) and "metrics" in project
    if legacy.is_legacy(file.data) and (listed_metrics or "metrics" in file.data):
        return [
            file.diagnostic(
                ("metrics",) if "metrics" in file.data else ("project", "metrics"),
                "the file mixes generation 1 probes with generation 2 metrics",
                "use either [probes] and probes = [...], or [metrics] and metrics = [...]",
            )
        ]
    return []


def _in_file_terms(diagnostics: list[Diagnostic], layer: Layer) -> list[Diagnostic]:
    """Schema errors of a generation 1 file name ``probes``, as the file does."""
    if not layer.is_legacy:
        return diagnostics
    renamed = []
    for diagnostic in diagnostics:
        key = diagnostic.key_path
        if key.startswith("metrics."):
            key = "probes." + key.removeprefix("metrics.")
        elif key.startswith("project.metrics"):
            key = "project.probes" + key.removeprefix("project.metrics")
        path = tuple(key.split("."))
        line = layer.file.locator.line_of(path) if key != diagnostic.key_path else diagnostic.line
        renamed.append(
            Diagnostic(
                diagnostic.file,
                key,
                diagnostic.message,
                diagnostic.hint,
                line,
                diagnostic.column,
                diagnostic.severity,
            )
        )
    return renamed


def _without_unknown_keys(layer: Layer, error: ValidationError) -> Layer:
    data = layer.data
    for item in error.errors():
        if item["type"] == "extra_forbidden":
            data = _drop(data, tuple(str(p) for p in item["loc"]))
    return Layer(layer.role, layer.file, data)


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    if path and path[0] == "segment_data_sources":
        path = ("segments", "data_sources", *path[1:])
    if len(path) == 1:
        return {k: v for k, v in data.items() if k != path[0]}
    child = data.get(path[0])
    if not isinstance(child, dict):
        return data
    return {**data, path[0]: _drop(child, path[1:])}


def _unmatched_wildcards(stack: LayerStack) -> list[Diagnostic]:
    """A wildcard key that matches no earlier definition does nothing: say so."""
    diagnostics = []
    for layer, wildcard in stack.unmatched_wildcards:
        noun = "metric" if wildcard.section == "metrics" else "data source"
        diagnostics.append(
            layer.file.diagnostic(
                (wildcard.section, wildcard.key),
                f'"{wildcard.key}" matches no {noun} defined before this file, so it is ignored',
                f"a wildcard changes {noun}s of the definitions and defaults files; "
                "define the name itself here instead",
                severity=Severity.WARNING,
            )
        )
    return diagnostics


def _unknown_platform(layer: Layer, platform: str, extra: tuple[Path, ...]) -> Diagnostic:
    known = known_platforms(layer.file.path.parent, extra)
    hint = did_you_mean(platform, known) or f"platforms with definitions here: {', '.join(known)}"
    return layer.file.diagnostic(
        ("project", "platform"), f'no definitions or defaults found for platform "{platform}"', hint
    )
