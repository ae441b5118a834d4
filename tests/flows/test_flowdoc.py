"""The flow-document package: pure, the one home of the placeholder grammar and the flow reader."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowdoc.document import CONTENT_WRAPPER, DESCRIBE_WRAPPER, FlowFileError, read_content
from flowdoc.placeholders import substitute_known
from flowdoc.walk import map_strings, strings
from tests.conftest import REPO

# The one first-party module flowdoc may use: the safe JSON reader the Lambdas and the CLI share.
ALLOWED_FIRST_PARTY = {"flowdoc", "lambdas.shared.json_text"}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_flowdoc_imports_only_the_standard_library() -> None:
    # Given every module of flowdoc / When its imports are read
    foreign = {
        f"{path.name}: {name}"
        for path in sorted((REPO / "flowdoc").glob("*.py"))
        for name in imports_of(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] != "flowdoc"
        and name not in ALLOWED_FIRST_PARTY
    }
    # Then none is CDK, boto3 or any other package: infra, lint and simulate can all import it
    assert foreign == set()


def test_synth_reads_test_cases_without_the_simulator() -> None:
    # Given a fresh interpreter / When synth's test-case module is imported
    code = (
        "import sys, infra.flow_test_cases; print(sorted(m for m in sys.modules if m.startswith('tandem')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    # Then the reader it shares with the local runner (flowdoc.testcase) brought no tandem module
    assert out.stdout.splitlines()[-1] == "[]"


def test_the_placeholder_grammar_is_written_once() -> None:
    # Given the code that ships (functions, infra, tooling, flowdoc)
    pattern = re.compile(r"re\.compile\([^)]*\\\{\\\{")
    sources = [
        p for folder in ("lambdas", "infra", "tandem", "flowdoc") for p in (REPO / folder).rglob("*.py")
    ]
    # When every regex that matches "{{" is found / Then all of them are in flowdoc.placeholders
    homes = {p.relative_to(REPO).as_posix() for p in sources if pattern.search(p.read_text(encoding="utf-8"))}
    assert homes == {"flowdoc/placeholders.py"}


def test_synth_reads_a_describe_contact_flow_export_as_its_content(tmp_path: Path) -> None:
    # Given a flows directory holding a DescribeContactFlow export and a bare Content wrapper
    inner = {"Version": "2019-10-30", "StartAction": "a", "Actions": []}
    (tmp_path / "described.json").write_text(
        json.dumps({"ContactFlow": {"Name": "x", "Content": json.dumps(inner)}})
    )
    (tmp_path / "wrapped.json").write_text(json.dumps({"Name": "y", "Content": inner}))
    # When synth loads them / Then it deploys the flow inside, as lint and simulate read it
    # (imported here: infra.constructs imports the CDK, seconds of jsii that the other flow tests
    # and the time-travel pass would otherwise pay at collection on every worker)
    from infra.flow_sources import load_flows

    assert load_flows(tmp_path) == {"described": inner, "wrapped": inner}
    assert read_content(tmp_path / "described.json").origin == DESCRIBE_WRAPPER
    assert read_content(tmp_path / "wrapped.json").origin == CONTENT_WRAPPER


def test_an_unreadable_flow_file_is_one_line_naming_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"Content": "{not json"}')
    with pytest.raises(FlowFileError) as caught:
        read_content(path)
    assert caught.value.rule == "json-invalid"
    assert str(caught.value).startswith(f"{path}: Content: not valid JSON: line 1 column 2")
    assert "\n" not in str(caught.value)


def test_lenient_substitution_leaves_what_it_does_not_know_and_says_which() -> None:
    document = {"{{flow:a}}": ["{{lambda:f}} and {{novel:x}}", "{{ not one }}", 3]}
    known = {("lambda", "f"): "F", ("flow", "a"): "A"}
    resolved, unknown = substitute_known(document, lambda kind, name: known.get((kind, name)))
    assert resolved == {"A": ["F and {{novel:x}}", "{{ not one }}", 3]}
    assert unknown == ("{{novel:x}}",)


def test_the_walker_visits_keys_and_values_with_their_location() -> None:
    document = {"Actions": [{"Parameters": {"Text": "hi"}}]}
    assert list(strings(document)) == [
        ("Actions", "Actions"),
        ("Actions[0].Parameters", "Parameters"),
        ("Actions[0].Parameters.Text", "Text"),
        ("Actions[0].Parameters.Text", "hi"),
    ]
    assert map_strings(document, lambda text, _path: text.upper()) == {
        "ACTIONS": [{"PARAMETERS": {"TEXT": "HI"}}]
    }
