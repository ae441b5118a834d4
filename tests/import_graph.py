"""The import graph of the repository's packages, read from the source (nothing is imported), and its cycles.

An edge A → B means module A names module B in:
- an `import` or `from ... import` statement anywhere in A: at the top, inside a function (an import
  deferred to break a cycle still is one), under `if TYPE_CHECKING:`; relative imports are resolved;
  `from package import module` is an edge to the module, `from module import name` to the module;
- a string that is a whole module path, optionally with `:attribute` (`"lambdas.x.policy:parse"`):
  a module loaded by name is a dependency too, only a hidden one.

Importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`; those implicit edges are left out,
as import linters do, so a package that re-exports its submodules is not a cycle with each of them.
Only modules of the scanned packages are nodes: the standard library and third parties are not.

`python -m tests.import_graph [package ...]` prints every cycle between modules, then between
packages (`lambdas.escalation` → `lambdas.ivr_decision` → `lambdas.escalation`), of the packages
named (default: tandem lambdas infra); it exits 1 when modules form a cycle.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from tandem.flows.lint import strongly_connected

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("tandem", "lambdas", "infra")
# "a.b.c" or "a.b.c:attribute": a dotted path, as importlib.import_module or an entry point names one.
_MODULE_STRING = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?::[A-Za-z_]\w*)?$")

Graph = dict[str, set[str]]


def find_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every .py file under the packages (a package is its __init__)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """`name`, or the longest enclosing module that is one of ours (`a.b.CONSTANT` → `a.b`)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _base(module: str, path: Path, level: int) -> str:
    """The package a relative import of `level` dots starts from."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The scanned modules `module` imports, statically or by a module-path string."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _known(alias.name, modules)) is not None:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = _base(module, path, node.level)
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                target = _known(f"{source}.{alias.name}", modules) or _known(source, modules)
                if target is not None:
                    found.add(target)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _MODULE_STRING.match(node.value)
            if match and match["module"] in modules:
                found.add(match["module"])
    found.discard(module)
    return found


def top_level_imports(path: Path) -> set[str]:
    """The top-level packages a module's source imports (`a` of `import a.b` and `from a.b import c`)."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    return imported


def import_graph(root: Path = REPO, packages: Iterable[str] = PACKAGES) -> Graph:
    modules = find_modules(root, packages)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def by_package(graph: Mapping[str, set[str]], depth: int = 2) -> Graph:
    """The graph between packages: each module stands for its first `depth` name parts
    (`lambdas.escalation.policy` → `lambdas.escalation`), edges inside one package dropped."""

    def package(name: str) -> str:
        return ".".join(name.split(".")[:depth])

    collapsed: Graph = {}
    for module, targets in graph.items():
        edges = collapsed.setdefault(package(module), set())
        edges.update(package(t) for t in targets)
    for name, edges in collapsed.items():
        edges.discard(name)
    return collapsed


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules, as a path that returns to its start."""
    found = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            found.append(_cycle_within(graph, group))
    return sorted(found)


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """The linter's Tarjan, over the modules in sorted order; imports of modules outside the graph
    are not nodes."""
    ordered = {module: sorted(t for t in graph[module] if t in graph) for module in sorted(graph)}
    return [set(group) for group in strongly_connected(ordered)]


def _cycle_within(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, through the group only."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & group):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle through {start} in its own strongly connected group")


def describe(cycle: list[str]) -> str:
    return " → ".join(cycle)


if __name__ == "__main__":
    graph = import_graph(REPO, sys.argv[1:] or PACKAGES)
    found = cycles(graph)
    for cycle in found:
        print(describe(cycle))
    print(f"{len(found)} import cycle(s) between modules")
    for cycle in cycles(by_package(graph)):
        print(f"between packages: {describe(cycle)}")
    sys.exit(1 if found else 0)
