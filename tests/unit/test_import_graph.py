"""No import cycles in tandem/, lambdas/ or infra/, between modules or between packages, and no Lambda
function package importing another; read from the source by tests/import_graph.py (static imports,
deferred ones included, and modules named in strings). `python -m tests.import_graph` prints them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.import_graph import REPO, by_package, cycles, describe, import_graph


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(REPO)


def test_no_import_cycle_between_modules_or_packages(graph: dict[str, set[str]]) -> None:
    """Given the import graph of tandem/, lambdas/ and infra/, Then no cycle, of modules or of packages."""
    assert [describe(c) for c in cycles(graph)] == []
    assert [describe(c) for c in cycles(by_package(graph))] == []


FUNCTIONS = ("crm_lookup", "ivr_decision", "escalation", "survey", "ctr_ingest")


def test_no_function_package_imports_another(graph: dict[str, set[str]]) -> None:
    """Each Lambda carries its own package and the shared ones: never another function's."""
    crossing = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if module.startswith("lambdas.")
        and target.split(".")[:2] != module.split(".")[:2]
        and len(target.split(".")) > 1
        and target.split(".")[1] in FUNCTIONS
    )
    assert crossing == []


def test_the_graph_holds_the_edges_that_once_closed_the_cycles(graph: dict[str, set[str]]) -> None:
    """The checker sees the imports that used to close tandem's two cycles, deferred ones included,
    so "no cycle" above is a finding about the code, not about a graph that misses edges."""
    assert "tandem.local.server" in graph["tandem.local.sandbox"]
    assert "tandem.local.provision" in graph["tandem.local.server"]
    assert "tandem.local.sandbox" not in graph["tandem.local.server"]
    assert "tandem.demo.decisions" in graph["tandem.demo.handlers"]
    assert "tandem.demo.handlers" not in graph["tandem.demo.decisions"]
    # A deferred import (inside a function) is an edge as well; strings are checked on synthetic code below.
    assert "tandem.demo.day" in graph["tandem.demo.scripted"]
    assert "lambdas.policy.conditions" in graph["lambdas.policy.rules"]


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_negative_control_a_synthetic_cycle_is_found(tmp_path: Path) -> None:
    """Given a package whose modules import each other (one relatively, one inside a function), Then
    the checker reports that cycle, and one closed only by a module named in a string."""
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from .b import helper\n",
            "pkg/b.py": "def helper():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "import pkg.d\n",
            "pkg/d.py": 'LOADER = "pkg.c:run"\n',
            "pkg/e.py": "import json\nfrom pkg.a import helper\n",
        },
    )
    found = cycles(import_graph(root, ["pkg"]))
    assert found == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.c", "pkg.d", "pkg.c"]]


def test_an_acyclic_package_has_no_cycle_and_packages_collapse(tmp_path: Path) -> None:
    """Given a chain of imports and a package re-exporting its module, Then there is no cycle; and
    grouped by package, two packages that import each other's modules are a cycle."""
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.one.a import x\n",
            "pkg/one/__init__.py": "",
            "pkg/one/a.py": "from pkg.two import b\nx = 1\n",
            "pkg/two/__init__.py": "",
            "pkg/two/b.py": "import os\n",
            "pkg/two/c.py": "from pkg.one.a import x\n",
            "pkg/one/d.py": "from pkg.two.c import x\n",
        },
    )
    graph = import_graph(root, ["pkg"])
    assert graph["pkg"] == {"pkg.one.a"}
    assert graph["pkg.one.a"] == {"pkg.two.b"}
    assert cycles(graph) == []
    assert cycles(by_package(graph)) == [["pkg.one", "pkg.two", "pkg.one"]]
