"""OpMon's merge rules on raw layer data, one rule at a time (the whole resolution is checked
against OpMon's own parser in ``test_opmon_conformance.py``)."""

from __future__ import annotations

from typing import Any

from opwatch.config.precedence import (
    UnmatchedWildcard,
    is_set,
    merge_fields,
    merge_layer,
    merge_named,
)

GC = {"select_expression": "SUM(gc)", "data_source": "main", "statistics": {"percentile": {}}}


def test_what_counts_as_set() -> None:
    assert [is_set(v) for v in (None, {}, [], "")] == [False] * 4
    assert [is_set(v) for v in (False, 0, "x", [1], {"a": 1})] == [True] * 5


def test_a_field_is_replaced_whole_and_the_others_kept() -> None:
    merged = merge_fields(GC, {"statistics": {"mean": {}}, "type": None, "description": ""})
    assert merged == {
        "select_expression": "SUM(gc)",
        "data_source": "main",
        "statistics": {"mean": {}},
    }
    assert GC["statistics"] == {"percentile": {}}  # inputs are not modified


def test_wildcards_reach_only_earlier_names() -> None:
    base = {"gc_ms": GC, "gc_slice": GC, "uri": GC}
    override: dict[str, Any] = {
        "gc_*": {"statistics": {"sum": {}}},
        "gc_new": {"select_expression": "SUM(n)"},
        "cc_*": {"statistics": {"sum": {}}},
    }
    unmatched: list[str] = []
    merged = merge_named(base, override, wildcards=True, unmatched=unmatched)
    assert merged["gc_ms"]["statistics"] == merged["gc_slice"]["statistics"] == {"sum": {}}
    assert merged["gc_ms"]["select_expression"] == "SUM(gc)"
    assert merged["uri"] == GC
    assert merged["gc_new"] == {"select_expression": "SUM(n)"}  # not reached by gc_*
    assert set(merged) == {"gc_ms", "gc_slice", "uri", "gc_new"}
    assert unmatched == ["cc_*"]


def test_matching_keys_apply_in_the_layers_order() -> None:
    override = {"gc_ms": {"data_source": "a"}, "gc_*": {"data_source": "b"}}
    assert merge_named({"gc_ms": GC}, override, wildcards=True)["gc_ms"]["data_source"] == "b"
    reverse = {"gc_*": {"data_source": "b"}, "gc_ms": {"data_source": "a"}}
    assert merge_named({"gc_ms": GC}, reverse, wildcards=True)["gc_ms"]["data_source"] == "a"


def test_without_wildcards_a_pattern_is_a_plain_name() -> None:
    merged = merge_named({"os": {"data_source": "main"}}, {"o*": {"data_source": "x"}})
    assert merged == {"os": {"data_source": "main"}, "o*": {"data_source": "x"}}


def test_generation_one_replaces_definitions_whole() -> None:
    layer = {"metrics": {"gc_ms": {"data_source": "other"}}}
    current = merge_layer({"metrics": {"gc_ms": GC}}, layer)
    assert current["metrics"]["gc_ms"]["select_expression"] == "SUM(gc)"
    legacy = merge_layer({"metrics": {"gc_ms": GC}}, layer, generation=1)
    assert legacy["metrics"]["gc_ms"] == {"data_source": "other"}


def test_project_lists_add_up_and_values_replace() -> None:
    defaults = {
        "project": {
            "xaxis": "submission_date",
            "metrics": ["retained"],
            "population": {"data_source": "main", "dimensions": ["os"], "branches": ["a"]},
        }
    }
    project = {
        "project": {
            "xaxis": "build_id",
            "metrics": ["gc_ms"],
            "skip": False,
            "population": {"data_source": "", "dimensions": ["channel"], "branches": ["b"]},
        }
    }
    merged = merge_layer(defaults, project)["project"]
    assert merged["xaxis"] == "build_id" and merged["skip"] is False
    assert merged["metrics"] == ["retained", "gc_ms"]
    assert merged["population"] == {
        "data_source": "main",  # an empty string sets nothing
        "dimensions": ["os", "channel"],
        "branches": ["b"],
    }


def test_definition_files_project_table_is_ignored() -> None:
    merged = merge_layer(
        {"project": {"xaxis": "build_id"}}, {"project": {"xaxis": "x"}}, with_project=False
    )
    assert merged == {"project": {"xaxis": "build_id"}}


def test_whole_sections_and_segment_data_sources() -> None:
    base = {
        "alerts": {"a": {"type": "threshold", "max": [1]}},
        "segments": {
            "heavy": {"select_expression": "x", "data_source": "cd"},
            "data_sources": {"cd": {"from_expression": "t", "window_end": 7}},
        },
    }
    layer = {
        "alerts": {"a": {"type": "ci_overlap"}},
        "segments": {
            "heavy": {"select_expression": "y"},
            "data_sources": {"cd": {"from_expression": "u"}},
        },
    }
    merged = merge_layer(base, layer)
    assert merged["alerts"] == {"a": {"type": "ci_overlap"}}
    assert merged["segments"]["heavy"] == {"select_expression": "y", "data_source": "cd"}
    assert merged["segments"]["data_sources"] == {"cd": {"from_expression": "u"}}


def test_unmatched_wildcards_are_reported_by_section() -> None:
    found: list[UnmatchedWildcard] = []
    merge_layer({}, {"metrics": {"x_*": {}}, "data_sources": {"y?": {}}}, unmatched=found)
    assert found == [UnmatchedWildcard("metrics", "x_*"), UnmatchedWildcard("data_sources", "y?")]
