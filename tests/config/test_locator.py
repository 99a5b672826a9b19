"""The key locator finds the line of keys, tables, inline tables and array items."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

from opwatch.config.locator import KeyLocator, format_key_path, split_key

TEXT = '''\
# a comment with key = value
[project]
name = "x"
metrics = [
    "a",   # first
    'b',
]

[metrics.a]
select_expression = """
  SUM(x)
"""
statistics.sum = {}

[metrics."quoted.name".statistics]
percentile = { percentiles = [1, 2], remove_nulls = true }
'''


def key_paths(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key path of a parsed TOML document (tables and keys; not into arrays)."""
    for key, value in table.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from key_paths(value, (*prefix, key))


def test_every_key_tomllib_reads_is_placed_on_a_line_that_writes_it() -> None:
    # the locator is checked against the real parser: each key path tomllib finds is one the
    # scanner recorded itself (not a fallback to a prefix), on a line that names the key
    locator = KeyLocator(TEXT)
    lines = TEXT.splitlines()
    paths = list(key_paths(tomllib.loads(TEXT)))
    assert len(paths) == 13  # the walk itself reached every key
    for path in paths:
        assert locator.has(path), path
        line = locator.line_of(path)
        assert line is not None and path[-1] in lines[line - 1], (path, line)


def test_lines_of_keys_and_tables() -> None:
    locator = KeyLocator(TEXT)
    assert locator.line_of(("project",)) == 2
    assert locator.line_of(("project", "name")) == 3
    assert locator.line_of(("metrics", "a", "select_expression")) == 10
    assert locator.line_of(("metrics", "a", "statistics", "sum")) == 13
    assert locator.line_of(("metrics", "quoted.name", "statistics")) == 15
    assert (
        locator.line_of(("metrics", "quoted.name", "statistics", "percentile", "remove_nulls"))
        == 16
    )


def test_unknown_path_falls_back_to_the_nearest_known_prefix() -> None:
    locator = KeyLocator(TEXT)
    assert locator.line_of(("metrics", "a", "nope", "deeper")) == 9
    assert locator.line_of(("absent",)) is None


def test_array_items_and_string_bodies() -> None:
    locator = KeyLocator(TEXT)
    assert locator.item_line(("project", "metrics"), "b") == 6
    assert locator.item_line(("project", "metrics"), "zzz") == 4
    assert locator.string_body_line(("metrics", "a", "select_expression")) == 11


def test_key_paths_are_split_and_formatted() -> None:
    assert split_key('metrics."a.b".stats') == ("metrics", "a.b", "stats")
    assert format_key_path(("alerts", "x", "parameters", 2)) == "alerts.x.parameters[2]"
