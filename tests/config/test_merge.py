"""Layers merge table by table; values are replaced whole; the writer of a key is found."""

from __future__ import annotations

from opwatch.config.merge import deep_merge, get_path


def test_tables_merge_recursively_and_values_are_replaced() -> None:
    base = {"metrics": {"a": {"data_source": "x", "statistics": {"mean": {}}}}, "l": [1, 2]}
    override = {"metrics": {"a": {"statistics": {"sum": {}}}}, "l": [3]}
    assert deep_merge(base, override) == {
        "metrics": {"a": {"data_source": "x", "statistics": {"mean": {}, "sum": {}}}},
        "l": [3],
    }
    assert base["l"] == [1, 2]  # inputs are not modified


def test_get_path() -> None:
    data = {"a": {"b": [10, {"c": 1}]}}
    assert get_path(data, ("a", "b", 1, "c")) == 1
    assert get_path(data, ("a", "x")) is None
