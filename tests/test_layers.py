"""The layer contract of docs/architecture.md, enforced: no import runs back up or sideways.

Data flows config → sql → engines → pipeline → results → alerts → web, with the command line
on top; ``stats`` and ``detect`` are leaf libraries (numbers in, numbers out) that import
neither configuration nor engines, and the web reads only through ``results`` and the alert
store. Every ``import`` of every module counts, including those inside functions (a lazy
import is still a dependency); only imports under ``if TYPE_CHECKING:`` (annotations) do not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import opwatch

SOURCE = Path(opwatch.__file__).parent
ROOT_MODULES = {"errors", "registry"}
"""Modules at the package root that every layer may import (they import only each other)."""
ALLOWED: dict[str, set[str]] = {
    "stats": set(),
    "detect": {"stats"},
    "config": set(),
    "sql": {"config"},
    "engines": {"config", "sql"},
    "demo": {"config", "sql", "engines", "stats"},
    "pipeline": {"config", "sql", "engines", "stats", "detect"},
    "results": {"config", "sql", "engines", "pipeline"},
    "alerts": {"config", "sql", "engines", "pipeline", "results", "stats", "detect"},
    "web": {"config", "results", "alerts", "stats", "detect"},
    "cli": {
        "config", "sql", "engines", "demo", "pipeline", "results", "alerts", "web",
        "stats", "detect",
    },
    "errors": set(),
    "registry": set(),
    "__init__": {"config"},
    "__main__": {"cli"},
}  # fmt: skip
"""Package → the opwatch packages it may import (besides itself and the root modules).
docs/architecture.md draws the same table; a new package must be added to both."""


def layer_violations(source: Path) -> list[str]:
    """Every import in ``source`` (an opwatch package folder) that the contract forbids."""
    found = []
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        layer = relative.stem if len(relative.parts) == 1 else relative.parts[0]
        if layer not in ALLOWED:
            found.append(f"{relative}: package {layer!r} has no place in the layer contract")
            continue
        for line, imported in _imports(ast.parse(path.read_text(), str(path))):
            target = imported.split(".")[1] if imported.count(".") else ""
            if target not in ALLOWED:  # `from opwatch import __version__`: the root's own
                continue
            if imported.split(".")[0] != "opwatch" or not target or target == layer:
                continue
            if target not in ROOT_MODULES and target not in ALLOWED[layer]:
                found.append(f"{relative}:{line} imports {imported} ({layer} → {target})")
    return found


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import, outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (item for child in node.orelse for item in _imports_of(child))
            continue
        yield from _imports_of(node)


def _imports_of(node: ast.AST) -> Iterator[tuple[int, str]]:
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.lineno, node.module
        for alias in node.names:  # `from opwatch import stats` imports the package
            if node.module == "opwatch" and alias.name in ALLOWED:
                yield node.lineno, f"opwatch.{alias.name}"
    elif isinstance(node, ast.Import):
        yield from ((node.lineno, alias.name) for alias in node.names)
    else:
        yield from _imports(node)


def test_no_module_imports_against_the_flow() -> None:
    assert layer_violations(SOURCE) == []


@pytest.mark.parametrize(
    ("module", "line", "violation"),
    [
        ("stats/leaf.py", "from opwatch.config.models import BucketKind", "stats → config"),
        ("web/page.py", "import opwatch.engines.duckdb", "web → engines"),
        ("config/x.py", "def f():\n    from opwatch.sql import plan", "config → sql"),
        ("detect/x.py", "from opwatch import pipeline", "detect → pipeline"),
        ("engines/x.py", "if True:\n    from opwatch.results import reader", "engines → results"),
    ],
)
def test_a_deliberate_violation_is_reported(
    tmp_path: Path, module: str, line: str, violation: str
) -> None:
    (tmp_path / module).parent.mkdir(parents=True)
    (tmp_path / module).write_text(f"{line}\n")
    [found] = layer_violations(tmp_path)
    assert found.startswith(module) and f"({violation})" in found


def test_imports_for_annotations_only_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "stats").mkdir()
    (tmp_path / "stats" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from opwatch.config import Project\n"
        "from opwatch.errors import OpwatchError\nfrom opwatch.registry import Registry\n"
    )
    assert layer_violations(tmp_path) == []


def test_a_package_outside_the_contract_is_reported(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "x.py").write_text("import json\n")
    assert layer_violations(tmp_path) == [
        "catalog/x.py: package 'catalog' has no place in the layer contract"
    ]
