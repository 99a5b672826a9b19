"""The techniques' names: the registry that configs, the command line and the docs read.

Techniques are registered by import path, as engines are: each module imports numpy and
scipy, and naming the techniques (``opwatch detect --help``, a config check) must not wait for
them. :func:`opwatch.detect.registry.technique` imports the one asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opwatch.registry import Registry

if TYPE_CHECKING:
    from opwatch.detect.registry import Technique

DEFAULT_TECHNIQUE = "binseg"
TECHNIQUES: Registry[type[Technique]] = Registry(
    "change detection technique",
    lazy={
        "binseg": "opwatch.detect.binseg:BinarySegmentation",
        "cdf_squared": "opwatch.detect.cdf_squared:CdfSquared",
        "window_ttest": "opwatch.detect.window_ttest:WindowTTest",
    },
    aliases={"default": DEFAULT_TECHNIQUE},
)
"""Techniques by name; ``default`` stands for the recommended one."""
