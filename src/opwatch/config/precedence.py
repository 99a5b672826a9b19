"""How a later layer overrides an earlier one: OpMon's merge rules, table by table.

OpMon builds a project from layers (platform definitions, then platform defaults, then the
project file) and merges each layer into what the earlier ones built, with one rule per kind of
table. These are those rules, on the layers' raw data:

- **Named definitions** (``[metrics.X]``, ``[data_sources.X]``, ``[dimensions.X]``,
  ``[segments.X]``, ``[project.metric_groups.X]``): a name defined again replaces the earlier
  definition *field by field*, each field the later layer sets taken whole. A project's
  ``[metrics.X.statistics]`` therefore replaces the statistics it inherits; it is not added to
  them. A name defined for the first time is added as it is.
- **Wildcards**: a key of ``[metrics]`` or ``[data_sources]`` holding ``*``, ``?`` or ``[``
  (``[metrics."gc_*"]``) applies, field by field, to every name an *earlier* layer defined that
  it matches; it never defines a name, and does not reach names defined in its own file.
- **Replaced whole, name by name**: ``[alerts.X]``, ``[functions.X]``, ``[parameters.X]`` and
  ``[segments.data_sources.X]``.
- **``[project]``**: a value the later layer sets replaces the earlier one, except the lists
  ``metrics`` and ``alerts`` and, in ``[project.population]``, ``dimensions`` and ``segments``,
  which are concatenated (the earlier layer's first).
- **Generation 1** (2022) stacks: OpMon then replaced probes, data sources and dimensions whole
  (a dictionary update), so those are replaced whole there.

"Sets" means: present, and not an empty table, list or string. OpMon tests truthiness instead,
so it also ignores a later ``false`` or ``0`` (a project's ``skip = false`` cannot undo a
default's ``skip = true`` there); opwatch applies them. That difference, and OpMon's other
known slips (branches keep the earliest layer's value; a wildcard renames the metric it
matches), are listed in ``docs/config-reference.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""How a later table merges into an earlier one."""

WILDCARD_CHARACTERS = frozenset("*?[")
NAMED_SECTIONS = ("metrics", "data_sources", "dimensions")
"""Sections of named definitions merged field by field (``[segments]`` too, beside its
``data_sources``)."""
WILDCARD_SECTIONS = frozenset({"metrics", "data_sources"})
WHOLE_SECTIONS = ("alerts", "functions", "parameters")
"""Sections whose definitions are replaced whole, name by name."""
REPLACED_WHOLE_IN_GENERATION_1 = frozenset({"metrics", "data_sources", "dimensions"})
SEGMENT_DATA_SOURCES = "data_sources"
"""The key of ``[segments.data_sources]`` inside ``[segments]``."""
CONCATENATED_PROJECT_LISTS = frozenset({"metrics", "alerts"})
CONCATENATED_POPULATION_LISTS = frozenset({"dimensions", "segments"})


@dataclass(frozen=True)
class UnmatchedWildcard:
    """A wildcard key that matched no earlier definition, so OpMon ignores it."""

    section: str
    key: str


def is_set(value: Any) -> bool:
    """Whether a later layer's value overrides: present, and not an empty table, list or text."""
    if value is None:
        return False
    return not (isinstance(value, dict | list | str) and not value)


def is_wildcard(key: str) -> bool:
    """Whether a definition key is a pattern (``gc_*``) rather than a name."""
    return any(character in WILDCARD_CHARACTERS for character in key)


def merge_fields(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """One definition over another: each field ``override`` sets replaces ``base``'s, whole."""
    return {**base, **{key: value for key, value in override.items() if is_set(value)}}


def merge_named(
    base: dict[str, Any],
    override: dict[str, Any],
    *,
    whole: bool = False,
    wildcards: bool = False,
    unmatched: list[str] | None = None,
) -> dict[str, Any]:
    """The definitions of ``override`` merged into ``base``'s, name by name.

    Names ``base`` defines take every key of ``override`` that names or (with ``wildcards``)
    matches them, in ``override``'s order; other names are added. Wildcards that match
    nothing are appended to ``unmatched``.
    """
    merged = dict(base)
    applied: set[str] = set()
    for name in base:
        for key, definition in override.items():
            matches = key == name or (wildcards and is_wildcard(key) and fnmatchcase(name, key))
            if not matches or not isinstance(definition, dict):
                continue
            current = merged[name]
            replace = whole or not isinstance(current, dict)
            merged[name] = definition if replace else merge_fields(current, definition)
            applied.add(key)
    for key, definition in override.items():
        if key in applied or key in base:
            continue
        if wildcards and is_wildcard(key):
            if unmatched is not None:
                unmatched.append(key)
            continue
        merged[key] = definition
    return merged


def merge_layer(
    base: dict[str, Any],
    layer: dict[str, Any],
    *,
    generation: int = 2,
    with_project: bool = True,
    unmatched: list[UnmatchedWildcard] | None = None,
) -> dict[str, Any]:
    """``layer``'s data merged into ``base`` by OpMon's rules; neither input is modified.

    ``with_project=False`` ignores the layer's ``[project]`` (definition files have none that
    counts). Wildcards that matched nothing are appended to ``unmatched``.
    """

    def named(section: str) -> Merge:
        def merge(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
            keys: list[str] = []
            whole = generation == 1 and section in REPLACED_WHOLE_IN_GENERATION_1
            wildcards = section in WILDCARD_SECTIONS
            merged = merge_named(earlier, later, whole=whole, wildcards=wildcards, unmatched=keys)
            if unmatched is not None:
                unmatched.extend(UnmatchedWildcard(section, key) for key in keys)
            return merged

        return merge

    tables: dict[str, Merge] = {
        "project": merge_project,
        "segments": _merge_segments,
        **{section: named(section) for section in NAMED_SECTIONS},
        **{section: _replace_names for section in WHOLE_SECTIONS},
    }
    if not with_project:
        layer = {key: value for key, value in layer.items() if key != "project"}
    return _merge_values(base, layer, lists=frozenset(), tables=tables)


def merge_project(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``[project]`` of a later layer over an earlier one's."""
    tables: dict[str, Merge] = {
        "population": _merge_population,
        "metric_groups": merge_named,
        "statistics": merge_fields,
    }
    return _merge_values(base, override, lists=CONCATENATED_PROJECT_LISTS, tables=tables)


def _merge_population(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    return _merge_values(base, override, lists=CONCATENATED_POPULATION_LISTS, tables={})


def _merge_values(
    base: dict[str, Any],
    override: dict[str, Any],
    *,
    lists: frozenset[str],
    tables: dict[str, Merge],
) -> dict[str, Any]:
    """A later table of values over an earlier one: ``lists`` add up, ``tables`` merge by
    their own rule, any other value the later table sets replaces the earlier one."""
    merged = dict(base)
    for key, value in override.items():
        earlier = base.get(key)
        if key in lists and isinstance(value, list):
            merged[key] = [*_list(earlier), *value]
        elif key in tables and isinstance(value, dict):
            merged[key] = tables[key](_table(earlier), value)
        elif is_set(value):
            merged[key] = value
    return merged


def _merge_segments(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``[segments]``: segments field by field, ``[segments.data_sources]`` replaced whole."""
    sources = {
        **_table(base.get(SEGMENT_DATA_SOURCES)),
        **_table(override.get(SEGMENT_DATA_SOURCES)),
    }
    segments = merge_named(
        {k: v for k, v in base.items() if k != SEGMENT_DATA_SOURCES},
        {k: v for k, v in override.items() if k != SEGMENT_DATA_SOURCES},
    )
    return {**segments, SEGMENT_DATA_SOURCES: sources} if sources else segments


def _replace_names(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    return {**base, **override}


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
