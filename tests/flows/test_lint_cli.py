"""`tandem flows lint`: exit codes, the readable table and `--format json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.cli import main
from tests.conftest import REPO

VALID = {
    "Version": "2019-10-30",
    "StartAction": "hello",
    "Actions": [
        {
            "Identifier": "hello",
            "Type": "MessageParticipant",
            "Parameters": {"Text": "Hello."},
            "Transitions": {
                "NextAction": "bye",
                "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
            },
        },
        {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
    ],
}


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def broken() -> dict[str, object]:
    document = json.loads(json.dumps(VALID))
    document["Actions"][0]["Transitions"]["NextAction"] = "nowhere"
    return document


def test_a_clean_flow_exits_0_with_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "ok.json", VALID)
    assert main(["flows", "lint", str(path)]) == 0
    assert (
        capsys.readouterr().out.strip() == "1 flow file linted: 0 errors, 0 warnings, 0 info; 0 with errors"
    )


def test_an_error_exits_1_with_a_table_naming_file_action_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a flow whose first action goes nowhere
    path = write(tmp_path / "bad.json", broken())

    # When linted / Then exit 1, and the row names the file, the action and the rule
    assert main(["flows", "lint", str(path)]) == 1
    out = capsys.readouterr().out
    header, _, *rows = out.splitlines()
    assert header.split() == ["file", "action", "severity", "rule", "message"]
    assert rows[0].split()[:4] == [str(path), "hello", "error", "unknown-target"]
    assert out.rstrip().endswith("1 flow file linted: 1 error, 0 warnings, 0 info; 1 with errors")


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    document = json.loads(json.dumps(VALID))
    document["Actions"].append({"Identifier": "orphan", "Type": "DisconnectParticipant", "Transitions": {}})
    assert main(["flows", "lint", str(write(tmp_path / "w.json", document))]) == 0


def test_json_output_counts_files_errors_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a directory with a clean flow and, one level down, a broken one
    write(tmp_path / "a_ok.json", VALID)
    bad = write(tmp_path / "nested" / "b_bad.json", broken())

    # When the directory is linted as JSON
    code = main(["flows", "lint", str(tmp_path), "--format", "json"])

    # Then both files count, and findings carry the five documented keys
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (report["files"], report["errors"], report["warnings"]) == (2, 1, 0)
    assert {f["rule"] for f in report["findings"]} == {"unknown-target"}
    assert all(f["file"] == str(bad) for f in report["findings"])
    assert all(set(f) == {"file", "action", "rule", "severity", "message"} for f in report["findings"])


def test_findings_are_sorted_by_file_then_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path / "a.json", {**broken(), "Version": "1"})
    second = write(tmp_path / "b.json", broken())
    main(["flows", "lint", str(second), str(first), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(Path(f["file"]).name, f["action"], f["rule"]) for f in findings] == [
        ("a.json", "", "version"),
        ("a.json", "hello", "unknown-target"),
        ("b.json", "hello", "unknown-target"),
    ]


def test_a_missing_path_is_a_usage_error_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert main(["flows", "lint", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"tandem flows lint: {missing}: no such file or directory\n"


def test_a_directory_without_flows_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flows", "lint", str(tmp_path)]) == 2
    assert "no *.json files" in capsys.readouterr().err


def test_invalid_json_is_a_finding_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"Version": "2019-10-30",', encoding="utf-8")
    assert main(["flows", "lint", str(path), "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["rule"] == "json-invalid"
    assert "line 1 column 26" in finding["message"]


def test_without_a_path_the_repo_flows_are_linted(capsys: pytest.CaptureFixture[str]) -> None:
    main(["flows", "lint", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    # flows/*.json only: flows/tests/ holds Connect test cases, not flows
    assert report["files"] == len(list((REPO / "flows").glob("*.json")))


def test_flows_without_an_action_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["flows"])
    assert exit_info.value.code == 2
