"""Layering: planners/ may import memory/ and perception/, never mnemo/ (nor HTTP or CLI libraries)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLANNERS = Path(__file__).resolve().parents[2] / "planners"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(p.name for p in PLANNERS.glob("*.py")))
def test_planners_never_import_the_composition_root(module):
    forbidden = {"mnemo", "typer", "fastapi", "ray", "sim", "torch"} & _imports(PLANNERS / module)
    assert not forbidden, f"planners/{module} imports {sorted(forbidden)}"
