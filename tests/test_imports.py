"""The project's import graph: no cycles between modules, and the layers' rules.

The graph is read from the source with ``ast`` (nothing is imported). Every import counts: at module
level, inside functions (lazy imports), and under ``if TYPE_CHECKING:`` (a cycle that only type hints
close is still two modules that cannot be read apart). ``from pkg import name`` counts as an import of
the submodule ``pkg.name`` when that is a module, else of ``pkg`` itself. Importing ``pkg.mod`` does not
count as importing ``pkg/__init__.py`` (Python runs it, but a package's ``__init__`` re-exporting its
modules is not a cycle between them).

Layers (docs/architecture.md): ``streams`` and ``perception`` never import ``memory``; ``memory`` never
imports ``planners``; only ``mnemo/`` knows Ray, HTTP and the CLI; only ``ros_bridge/`` knows ROS (and
``sim/bag.py``, which writes the simulated episodes' ROS 2 bags with rosbags);
nothing in the core imports ``sim/``. The simulator plugs in from the side: ``mnemo/evaluation/`` is its
harness (it registers the simulator's detector and runs its episodes) and the ``mnemo sim`` command
renders episodes; nothing else outside ``sim/`` and the tests imports it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mnemo", "memory", "perception", "planners", "streams", "sim", "ros_bridge")


@dataclass(frozen=True)
class Edge:
    source: str  # importing module, dotted
    target: str  # imported module (the project's own) or top-level package name (third-party)
    line: int
    how: str  # "module", "function" or "type-checking"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """(import node, how) for every import statement in the tree."""

    def walk(node: ast.AST, how: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, how
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for inner in child.body:
                    yield from walk(ast.Module(body=[inner], type_ignores=[]), "type-checking")
                for inner in child.orelse:
                    yield from walk(ast.Module(body=[inner], type_ignores=[]), how)
                continue
            inner_how = "function" if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) \
                and how == "module" else how
            yield from walk(child, inner_how)

    yield from walk(tree, "module")


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Dotted names an import statement reaches: project modules, or third-party top-level packages."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".")
            if MODULES[module].name != "__init__.py":
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]
    resolved = []
    for name in names:
        if name.split(".")[0] not in PACKAGES:
            resolved.append(name.split(".")[0])
            continue
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            resolved.append(name)
    return resolved


def _edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, how in _imports(tree):
            edges.extend(Edge(module, target, node.lineno, how) for target in _targets(module, node))
    return edges


EDGES = _edges()


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle's path."""
    graph: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        if e.target in MODULES:
            graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (a few hundred)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(_one_cycle(graph, set(component)))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return components


def _one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module, as a path that ends where it starts."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return sorted(component)


def _describe(cycle: list[str]) -> str:
    steps = []
    for a, b in zip(cycle, cycle[1:]):
        found = [e for e in EDGES if e.source == a and e.target == b]
        steps.append(f"{a} -> {b} ({MODULES[a].relative_to(ROOT)}:{found[0].line}, {found[0].how})")
    return "\n  ".join(steps)


def test_the_graph_is_read():
    # an oracle for the reader itself: edges every version of the project has
    pairs = {(e.source, e.target) for e in EDGES}
    assert ("memory.store", "memory.event") in pairs
    assert ("mnemo.cli", "mnemo.commands.app") in pairs
    assert ("mnemo.runtime.ray_actors", "ray") in pairs
    assert len(MODULES) > 150


def test_a_cycle_is_found_and_named():
    edges = [Edge("memory.store", "memory.entities", 1, "module"),
             Edge("memory.entities", "memory.store", 2, "function")]
    assert _cycles(edges) == [["memory.entities", "memory.store", "memory.entities"]]


def test_no_import_cycles():
    cycles = _cycles(EDGES)
    assert not cycles, "import cycles:\n" + "\n".join(f"- {' -> '.join(c)}\n  {_describe(c)}" for c in cycles)


def _violations(sources: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    def under(name: str, prefixes: tuple[str, ...]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return [f"{MODULES[e.source].relative_to(ROOT)}:{e.line} imports {e.target} ({e.how})" for e in EDGES
            if under(e.source, sources) and under(e.target, forbidden) and not under(e.source, allowed)]


ALL = PACKAGES
LAYER_RULES = {
    "streams and perception never import memory, planners or mnemo": (("streams", "perception"),
                                                                      ("memory", "planners", "mnemo")),
    "streams never imports perception": (("streams",), ("perception",)),
    "memory never imports planners or mnemo": (("memory",), ("planners", "mnemo")),
    "planners never import mnemo": (("planners",), ("mnemo",)),
    "only mnemo/ knows Ray, HTTP and the CLI": (ALL, ("ray", "fastapi", "uvicorn", "starlette", "typer", "click"),
                                                ("mnemo",)),
    "memory imports neither torch nor ray": (("memory",), ("torch", "ray")),
    "only ros_bridge/ knows ROS": (ALL, ("rospy", "rclpy", "rosbags", "cyclonedds", "mcap", "mcap_ros2"),
                                   ("ros_bridge", "sim.bag")),  # the simulator writes its episodes' bags
    "nothing in the core imports sim/ (mnemo/evaluation and `mnemo sim` plug it in from the side)":
        (ALL, ("sim",), ("sim", "mnemo.evaluation", "mnemo.commands.sim")),
}


@pytest.mark.parametrize("rule", sorted(LAYER_RULES))
def test_layers(rule):
    assert not _violations(*LAYER_RULES[rule]), f"{rule}:\n" + "\n".join(_violations(*LAYER_RULES[rule]))
