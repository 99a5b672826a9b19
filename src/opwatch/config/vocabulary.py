"""Closed sets of words that configs and the command line share, in a module that imports
nothing: ``opwatch detect --help`` lists the platforms without building the config models."""

from __future__ import annotations

from typing import Literal

Platform = Literal["Windows", "Linux", "Darwin", "All"]
"""The platforms a metric's changes are searched on (``All``: every platform value)."""
