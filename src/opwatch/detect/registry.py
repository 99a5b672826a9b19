"""Techniques by name: the registry configs, the CLI and the docs read.

A technique is a small class: its ``name``, the series kinds it accepts, a pydantic model of
its arguments (so a misspelled ``change_detection_args`` key is refused with the list of the
valid ones), and ``find``; its line in :data:`~opwatch.detect.techniques.TECHNIQUES`
registers it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from opwatch.detect.change import Change
from opwatch.detect.series import Series, SeriesKind
from opwatch.detect.techniques import TECHNIQUES
from opwatch.errors import DetectionError
from opwatch.registry import UnknownNameError


class TechniqueArgs(BaseModel):
    """Arguments every technique takes (``change_detection_args`` may set them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    short_term_spikes_ignored: bool = False
    """Drop changes that revert within two points instead of reporting them as spikes."""


class Technique(ABC):
    """A way of finding changes in a series."""

    name: ClassVar[str]
    summary: ClassVar[str]
    kinds: ClassVar[frozenset[SeriesKind]] = frozenset({"scalar", "histogram"})
    Args: ClassVar[type[TechniqueArgs]] = TechniqueArgs

    def __init__(self, **args: Any) -> None:
        try:
            self.args = self.Args(**args)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                for e in error.errors()
            )
            valid = ", ".join(self.Args.model_fields)
            raise DetectionError(
                f"technique {self.name!r}: {problems} (its arguments: {valid})"
            ) from None

    @abstractmethod
    def find(self, series: Series) -> list[Change]:
        """The changes of ``series``, in order of position."""


def technique(name: str, **args: Any) -> Technique:
    """The technique called ``name`` (``default`` is the recommended one) with ``args``."""
    try:
        found = TECHNIQUES.get(name)
    except UnknownNameError as unknown:
        raise DetectionError(str(unknown)) from None
    return found(**args)
