"""Merge the layers of a project into one configuration, remembering where each value came from.

The layers merge by OpMon's rules (:mod:`opwatch.config.precedence`). :meth:`LayerStack.diagnostic`
answers "which file, which line wrote this key?" so that a diagnostic about the merged result
points at the file to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property
from typing import Any

from opwatch.config import legacy
from opwatch.config.diagnostics import Diagnostic
from opwatch.config.layers import LayerRole
from opwatch.config.locator import format_key_path
from opwatch.config.precedence import WILDCARD_SECTIONS, UnmatchedWildcard, is_wildcard, merge_layer
from opwatch.config.source import TomlFile


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: tables merge recursively, other values are replaced
    (how experiment metadata fills what the configuration leaves unset)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def get_path(data: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path`` in nested tables, or None when absent."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int):
            data = data[part] if part < len(data) else None
        else:
            return None
    return data


@dataclass(frozen=True)
class Layer:
    """One file's contribution: its role and its data in the current format."""

    role: LayerRole
    file: TomlFile
    data: dict[str, Any]

    @classmethod
    def of(cls, role: LayerRole, file: TomlFile) -> Layer:
        """A layer from a parsed file, translating generation 1 data."""
        return cls(role, file, legacy.to_current(file.data))

    @property
    def is_legacy(self) -> bool:
        """Whether the file is written in the generation 1 format."""
        return legacy.is_legacy(self.file.data)

    def file_path(self, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """A key path of the merged config in this file's own terms (``probes`` in
        generation 1)."""
        return legacy.to_file_path(path) if self.is_legacy else path

    def item_diagnostic(
        self, path: tuple[str, ...], item: str, message: str, hint: str | None, **kwargs: Any
    ) -> Diagnostic:
        """A diagnostic about one string item of this file's list at ``path``, on its line."""
        file_path = self.file_path(path)
        line = self.file.locator.item_line([str(p) for p in file_path], item)
        return Diagnostic(
            self.file.path, format_key_path(file_path), message, hint, line=line, **kwargs
        )


class LayerStack:
    """The layers of one project, lowest precedence first."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers

    @property
    def project(self) -> Layer:
        """The project file's layer (always the last)."""
        return self.layers[-1]

    def merged(self) -> dict[str, Any]:
        """All layers merged by OpMon's rules; ``[project]`` of definition files is ignored."""
        return self._merge[0]

    @property
    def unmatched_wildcards(self) -> list[tuple[Layer, UnmatchedWildcard]]:
        """Wildcard keys that matched no definition of an earlier layer, with their layer."""
        return self._merge[1]

    @cached_property
    def _merge(self) -> tuple[dict[str, Any], list[tuple[Layer, UnmatchedWildcard]]]:
        generation = 1 if self.project.is_legacy else 2
        result: dict[str, Any] = {}
        unmatched: list[tuple[Layer, UnmatchedWildcard]] = []
        for layer in self.layers:
            found: list[UnmatchedWildcard] = []
            result = merge_layer(
                result,
                layer.data,
                generation=generation,
                with_project=layer.role is not LayerRole.DEFINITIONS,
                unmatched=found,
            )
            unmatched += [(layer, wildcard) for wildcard in found]
        return result, unmatched

    def files(self) -> list[TomlFile]:
        """The files consulted, lowest precedence first."""
        return [layer.file for layer in self.layers]

    def defining(self, path: tuple[str, ...]) -> list[Layer]:
        """Layers that write ``path`` (by name or by a matching wildcard), highest precedence
        first."""
        return [layer for layer in reversed(self.layers) if _written(layer, path)]

    def diagnostic(
        self, path: tuple[str | int, ...], message: str, hint: str | None = None, **kwargs: Any
    ) -> Diagnostic:
        """A diagnostic about ``path`` of the merged config, placed in the file that wrote it."""
        layer = self._writer(path)
        file_path = layer.file_path(path)
        line = kwargs.pop("line", None) or layer.file.locator.line_of(file_path)
        return Diagnostic(
            layer.file.path, format_key_path(file_path), message, hint, line=line, **kwargs
        )

    def item_diagnostic(
        self, path: tuple[str, ...], item: str, message: str, hint: str | None = None
    ) -> Diagnostic:
        """A diagnostic about one string item of the list at ``path``, on that item's line."""
        return self._writer(path).item_diagnostic(path, item, message, hint)

    def _writer(self, path: tuple[str | int, ...]) -> Layer:
        for depth in range(len(path), 0, -1):
            for layer in reversed(self.layers):
                if _written(layer, path[:depth]):
                    return layer
        return self.project


def _written(layer: Layer, path: tuple[str | int, ...]) -> bool:
    """Whether ``layer`` writes ``path``, directly or through a wildcard key
    (``metrics."gc_*".statistics`` writes ``metrics.gc_ms.statistics``)."""
    if get_path(layer.data, path) is not None:
        return True
    if len(path) < 2 or path[0] not in WILDCARD_SECTIONS or not isinstance(path[1], str):
        return False
    section = layer.data.get(str(path[0]))
    if not isinstance(section, dict):
        return False
    return any(
        is_wildcard(key) and fnmatchcase(path[1], key) and get_path(value, path[2:]) is not None
        for key, value in section.items()
    )
