"""Thin handlers: every function in a `lambdas/*/handler*.py` module is short, each `lambda_handler`
a few statements, and no handler writes to DynamoDB itself (writes sit in the data-access modules
named after what they store, e.g. `lambdas/escalation/handoff_store.py`).

Measured with `ast`, so a handler is judged by its code, not by importing it (which would run its
init phase). Each check is also run on a made-up module that breaks it, so none can pass vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tandem.local.sandbox import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "lambdas").glob("*/handler*.py"))
MAX_FUNCTION_LINES = 60
MAX_ENTRY_POINT_STATEMENTS = 5
ENTRY_POINT = "lambda_handler"
DYNAMODB_WRITES = frozenset(
    {"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"}
)


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Statements in the body, nested ones included (a `try` and what it holds count separately)."""
    return sum(isinstance(n, ast.stmt) for body in function.body for n in ast.walk(body))


def size_problems(source: str, where: str) -> list[str]:
    problems = []
    for function in _functions(ast.parse(source)):
        lines = (function.end_lineno or function.lineno) - function.lineno + 1
        if lines > MAX_FUNCTION_LINES:
            problems.append(f"{where}:{function.lineno} {function.name} is {lines} lines")
        if function.name == ENTRY_POINT and (count := _statements(function)) > MAX_ENTRY_POINT_STATEMENTS:
            problems.append(f"{where}:{function.lineno} {ENTRY_POINT} has {count} statements")
    return problems


def write_problems(source: str, where: str) -> list[str]:
    return [
        f"{where}:{node.lineno} calls {node.func.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DYNAMODB_WRITES
    ]


def test_every_function_has_a_handler_module_with_its_entry_point() -> None:
    # infra deploys `lambdas.<function>.handler.lambda_handler` (infra/constructs/functions.py).
    for function in FUNCTIONS:
        tree = ast.parse((ROOT / "lambdas" / function / "handler.py").read_text())
        entry_points = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT]
        assert len(entry_points) == 1, function
    assert len(HANDLERS) >= len(FUNCTIONS)


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_handler_functions_are_short_and_the_entry_point_a_few_statements(path: Path) -> None:
    assert size_problems(path.read_text(), str(path.relative_to(ROOT))) == []


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_handlers_leave_dynamodb_writes_to_the_data_access_modules(path: Path) -> None:
    assert write_problems(path.read_text(), str(path.relative_to(ROOT))) == []


def test_the_measures_report_a_long_function_a_busy_entry_point_and_a_write() -> None:
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    busy = "\n".join(f"    y{i} = {i}" for i in range(MAX_ENTRY_POINT_STATEMENTS + 1))
    write = "    deps.dynamodb.put_item(TableName='t', Item={})"
    source = (
        f"def _logic():\n{long_body}\n\n"
        f"def lambda_handler(event, context):\n{busy}\n    return y0\n\n"
        f"def _record(deps):\n{write}\n"
    )
    line = {text: number for number, text in enumerate(source.splitlines(), start=1)}
    assert size_problems(source, "made_up.py") == [
        f"made_up.py:1 _logic is {MAX_FUNCTION_LINES + 1} lines",
        f"made_up.py:{line['def lambda_handler(event, context):']} lambda_handler has "
        f"{MAX_ENTRY_POINT_STATEMENTS + 2} statements",
    ]
    assert write_problems(source, "made_up.py") == [f"made_up.py:{line[write]} calls put_item"]
