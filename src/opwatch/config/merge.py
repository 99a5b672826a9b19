"""Merge the layers of a project into one configuration, remembering where each value came from.

Tables merge key by key, deeper tables recursively; any other value (a string, a list) is
replaced whole by the higher layer. :meth:`LayerStack.locate` answers "which file, which line
wrote this key?" so that a diagnostic about the merged result points at the file to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opwatch.config import legacy
from opwatch.config.diagnostics import Diagnostic
from opwatch.config.layers import LayerRole
from opwatch.config.locator import format_key_path
from opwatch.config.source import TomlFile


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: tables merge recursively, other values are replaced."""
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


class LayerStack:
    """The layers of one project, lowest precedence first."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers

    @property
    def project(self) -> Layer:
        """The project file's layer (always the last)."""
        return self.layers[-1]

    def merged(self) -> dict[str, Any]:
        """All layers merged; ``[project]`` of definition files is ignored."""
        result: dict[str, Any] = {}
        for layer in self.layers:
            data = layer.data
            if layer.role is LayerRole.DEFINITIONS:
                data = {k: v for k, v in data.items() if k != "project"}
            result = deep_merge(result, data)
        return result

    def files(self) -> list[TomlFile]:
        """The files consulted, lowest precedence first."""
        return [layer.file for layer in self.layers]

    def defining(self, path: tuple[str, ...]) -> list[Layer]:
        """Layers that write ``path``, highest precedence first."""
        return [layer for layer in reversed(self.layers) if get_path(layer.data, path) is not None]

    def diagnostic(
        self, path: tuple[str | int, ...], message: str, hint: str | None = None, **kwargs: Any
    ) -> Diagnostic:
        """A diagnostic about ``path`` of the merged config, placed in the file that wrote it."""
        layer = self._writer(path)
        file_path = legacy.to_file_path(path) if layer.is_legacy else path
        line = kwargs.pop("line", None) or layer.file.locator.line_of(file_path)
        return Diagnostic(
            layer.file.path, format_key_path(file_path), message, hint, line=line, **kwargs
        )

    def item_diagnostic(
        self, path: tuple[str, ...], item: str, message: str, hint: str | None = None
    ) -> Diagnostic:
        """A diagnostic about one string item of the list at ``path``, on that item's line."""
        layer = self._writer(path)
        file_path = legacy.to_file_path(path) if layer.is_legacy else path
        line = layer.file.locator.item_line([str(p) for p in file_path], item)
        return Diagnostic(layer.file.path, format_key_path(file_path), message, hint, line=line)

    def _writer(self, path: tuple[str | int, ...]) -> Layer:
        for depth in range(len(path), 0, -1):
            for layer in reversed(self.layers):
                if get_path(layer.data, path[:depth]) is not None:
                    return layer
        return self.project
