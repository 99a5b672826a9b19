"""Generation 1 files are diagnosed in their own words: probes, not metrics."""

from __future__ import annotations

from pathlib import Path

from opwatch.config import validate_paths

DEFINITIONS = """\
[probes.gc_ms]
data_source = "main"
select_expression = "payload.histograms.gc_ms"
type = "histogram"

[data_sources.main]
from_expression = "mozdata.telemetry.main"
"""

PROJECT = """\
[project]
name = "Old style"
platform = "firefox_desktop"
xaxis = "submission_date"
probes = [
    "gc_ms",
    "gc_mss",
]

[project.population]
data_source = "main"
"""


def tree(tmp_path: Path, project: str, definitions: str = DEFINITIONS) -> Path:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "firefox_desktop.toml").write_text(definitions)
    path = tmp_path / "old-style.toml"
    path.write_text(project)
    return path


def test_undefined_probe_is_named_a_probe_on_its_line(tmp_path: Path) -> None:
    path = tree(tmp_path, PROJECT)
    [error] = validate_paths([path]).report.errors
    assert (error.file, error.key_path, error.line) == (path, "project.probes", 7)
    assert error.message == 'metric "gc_mss" is not defined'
    assert error.hint and error.hint.startswith('did you mean "gc_ms"?')


def test_bad_probe_sql_points_into_the_definitions_file(tmp_path: Path) -> None:
    broken = DEFINITIONS.replace('"payload.histograms.gc_ms"', '"payload.histograms.gc_ms)"')
    path = tree(tmp_path, PROJECT.replace('    "gc_mss",\n', ""), broken)
    errors = validate_paths([path]).report.errors
    assert [(e.file.name, e.key_path, e.line) for e in errors] == [
        ("firefox_desktop.toml", "probes.gc_ms.select_expression", 3)
    ]


def test_misspelled_probe_key(tmp_path: Path) -> None:
    path = tree(tmp_path, PROJECT.replace('    "gc_mss",\n', "") + "\n[probes.x]\ntyp = 'scalar'\n")
    [warning] = validate_paths([path]).report.warnings
    assert (warning.key_path, warning.line, warning.message) == (
        "probes.x.typ",
        13,
        'unknown key "typ"',
    )
    assert warning.hint == 'did you mean "type"? (the key is ignored)'
