"""The linter on flows it did not write: real exports from public repositories, and our own flows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tandem.flows import lint_flow, load_flow, repo_catalog
from tests.conftest import REPO, SHARED_FIXTURES, shared_fixture

REAL_FLOWS = sorted(p.name for p in (SHARED_FIXTURES / "real-flows").glob("*.json"))
ACCOUNT_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[^:\s\"]*:\d{12}:")
# Rules about the document as a whole; every other finding names an action.
DOCUMENT_RULES = {
    "json-invalid",
    "not-flow-language",
    "version",
    "start-action",
    "too-many-actions",
    "structure",
    "foreign-placeholders",
}


def _content_text(path: Path) -> str:
    """The flow as text, with a wrapper's Content string unescaped."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    inner = raw.get("ContactFlow", raw) if isinstance(raw, dict) else raw
    content = inner.get("Content") if isinstance(inner, dict) else None
    return content if isinstance(content, str) else json.dumps(raw)


def test_the_real_flows_folder_is_there() -> None:
    assert list(shared_fixture("real-flows").glob("*.json"))


@pytest.mark.parametrize("name", REAL_FLOWS)
def test_a_real_flow_lints_with_findings_that_name_file_and_action(name: str) -> None:
    # Given a flow exported by someone else / When linted
    path = shared_fixture(f"real-flows/{name}")
    findings = lint_flow(load_flow(path), repo_catalog())

    # Then every finding names the file, and the action unless it is about the whole document
    for finding in findings:
        assert finding.file == str(path)
        assert finding.severity in {"error", "warning", "info"}
        assert finding.message and "\n" not in finding.message
        assert finding.action or finding.rule in DOCUMENT_RULES, finding

    # And literal account ARNs and legacy exports are caught for what they are
    text = _content_text(path)
    if ACCOUNT_ARN.search(text):
        assert any(f.rule == "literal-arn" and f.severity == "error" for f in findings)
    if '"modules"' in text and '"Actions"' not in text:
        assert [f.rule for f in findings] == ["not-flow-language"]


@pytest.mark.parametrize("name", REAL_FLOWS)
def test_other_tools_placeholders_in_real_flows_are_one_warning_per_file(name: str) -> None:
    # Given a flow another team exported, with its pipeline's ${X} or %X% placeholders left in
    path = shared_fixture(f"real-flows/{name}")
    text = _content_text(path)

    # When linted (not strict: it is not in the repo's flows/)
    findings = lint_flow(load_flow(path), repo_catalog())

    # Then the placeholders are one warning naming the system, never an error per value
    foreign = [f for f in findings if f.rule.startswith("foreign-placeholder")]
    if "${" in text or re.search(r"%[A-Za-z_]+%", text):
        (warning,) = foreign
        assert warning.severity == "warning" and "not resolved by Tandem" in warning.message
        assert "${X} substitution" in warning.message or "%X% tokens" in warning.message
    else:
        assert foreign == []


@pytest.mark.parametrize("name", REAL_FLOWS)
def test_real_flows_get_no_errors_where_a_person_would_see_none(name: str) -> None:
    """These exports deploy as they are (after their own pipeline's substitution): no errors, no
    per-value noise, no literal-arn for ARNs whose account is a pipeline placeholder."""
    path = shared_fixture(f"real-flows/{name}")
    findings = lint_flow(load_flow(path), repo_catalog())
    assert [str(f) for f in findings if f.severity == "error"] == []
    assert [str(f) for f in findings if f.rule in {"literal-arn", "non-string-value"}] == []


@pytest.mark.parametrize("path", sorted((REPO / "flows").glob("*.json")), ids=lambda p: p.name)
def test_the_repo_flows_lint_without_errors(path: Path) -> None:
    errors = [str(f) for f in lint_flow(load_flow(path), repo_catalog()) if f.severity == "error"]
    assert errors == []
