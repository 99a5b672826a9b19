"""Diagnostics: one located, actionable message about a configuration file.

Every validation problem becomes a :class:`Diagnostic` naming the file, the line, the TOML key
path, what is wrong and what would fix it. A :class:`Report` collects all of them for a run so
that the user sees every error at once instead of fixing them one by one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    """How serious a diagnostic is: errors fail validation, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one place of one configuration file."""

    file: Path
    key_path: str
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        """``file:line:column`` with the parts that are known."""
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """The one-line human form: ``file:12: metrics.x: message — hint``."""
        prefix = f"{self.location}: "
        if self.severity is Severity.WARNING:
            prefix += "warning: "
        where = f"{self.key_path}: " if self.key_path else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{prefix}{where}{self.message}{hint}"

    def as_dict(self) -> dict[str, Any]:
        """The machine form, the same fields as the text form (pinned by a test)."""
        data = asdict(self)
        data["file"] = str(self.file)
        data["severity"] = str(self.severity)
        return data


class Report:
    """Collects diagnostics across files; the run fails when any is an error."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[Diagnostic] = set()

    def add(self, diagnostic: Diagnostic) -> None:
        """Record a diagnostic once, however many projects share the file it points into."""
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.diagnostics.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several diagnostics."""
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that make validation fail."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The diagnostics that are reported but do not fail validation."""
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, or None when nothing is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean "x"?`` hint for an unknown name, or None."""
    match = closest(word, candidates)
    return f'did you mean "{match}"?' if match else None
