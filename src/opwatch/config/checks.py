"""What every reference check of a project shares: where to report, and how to word it.

A :class:`CheckContext` holds the project's layers and merged configuration, collects the
diagnostics of all checks, and words the recurring problems ("X is not defined", "listed twice")
the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from opwatch.config.diagnostics import Diagnostic, Severity, did_you_mean
from opwatch.config.layers import LayerRole
from opwatch.config.merge import LayerStack, get_path
from opwatch.config.models import ConfigFile
from opwatch.config.snippets import SnippetChecker
from opwatch.config.templating import SnippetRenderer

KeyPath = tuple[str | int, ...]


class CheckContext:
    """The layers, merged config and diagnostics of one project being resolved."""

    def __init__(self, stack: LayerStack, config: ConfigFile) -> None:
        self.stack = stack
        self.config = config
        self.diagnostics: list[Diagnostic] = []
        renderer = SnippetRenderer(config.functions, config.parameters)
        self.snippets = SnippetChecker(stack, renderer, self.diagnostics.append)

    @property
    def has_errors(self) -> bool:
        """Whether any error (not warning) was reported."""
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def error(self, path: KeyPath, message: str, hint: str | None = None, **kwargs: Any) -> None:
        """Report a problem with the key at ``path``, in the file that wrote it."""
        self.diagnostics.append(self.stack.diagnostic(path, message, hint, **kwargs))

    def warning(self, path: KeyPath, message: str, hint: str | None = None) -> None:
        """Report something suspicious that does not invalidate the project."""
        self.error(path, message, hint, severity=Severity.WARNING)

    def item_error(self, path: tuple[str, ...], item: str, message: str, hint: str | None) -> None:
        """Report a problem with one entry of the list at ``path``, on that entry's line."""
        self.diagnostics.append(self.stack.item_diagnostic(path, item, message, hint))

    def undefined(
        self, kind: str, section: str, name: str, used_at: tuple[str, ...], item: bool = True
    ) -> None:
        """Report a reference to a name no layer defines, with the files searched."""
        known = getattr(self.config, section)
        looked = ", ".join(str(f.path) for f in self.stack.files())
        suggestion = did_you_mean(name, known)
        table = "segments.data_sources" if section == "segment_data_sources" else section
        hint = f"{suggestion + ' ' if suggestion else ''}looked for [{table}.{name}] in: {looked}"
        message = f'{kind} "{name}" is not defined'
        if item:
            self.item_error(used_at, name, message, hint)
        else:
            self.error(used_at, message, hint)

    def duplicates(self, path: tuple[str, ...]) -> None:
        """Warn of each name a layer lists twice in its list at ``path``: OpMon takes such
        lists as sets, so the name counts once. (Layers may repeat each other's names: the
        defaults' metrics may be listed again by the project.)"""
        for layer in self.stack.layers:
            names = get_path(layer.data, path)
            if not isinstance(names, list) or layer.role is LayerRole.DEFINITIONS:
                continue
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    self.diagnostics.append(
                        layer.item_diagnostic(
                            path,
                            name,
                            f'"{name}" is listed more than once; it counts once',
                            "remove the repeated entry",
                            severity=Severity.WARNING,
                        )
                    )
                seen.add(name)

    def not_a_project_metric(self, path: tuple[str, ...], metric: str, names: list[str]) -> None:
        """Report a metric used by an alert or group that the project does not compute."""
        hint = did_you_mean(metric, names) or "add it to project.metrics"
        self.item_error(
            path, metric, f'metric "{metric}" is not one of the project\'s metrics', hint
        )
