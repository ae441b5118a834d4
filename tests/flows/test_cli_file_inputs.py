"""Every file a `tandem` subcommand reads, fed whatever a file can hold: one line on stderr naming
the file and the problem, exit 1, never a traceback. Also the size limits and capped output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flowdoc.document import FLOW_FILE_MAX_BYTES
from lambdas.documents.registry import DOCUMENT_FILE_MAX_BYTES
from lambdas.documents.storage_format import DOCUMENT_MAX_BYTES
from lambdas.shared import json_text
from tandem.cli import main
from tandem.output import TEXT_LIMIT
from tests.conftest import REPO

RULES = REPO / "lambdas" / "documents" / "defaults" / "rules.json"

# Each subcommand that reads files, as the arguments before the file.
FILE_COMMANDS = {
    "flows lint": ["flows", "lint"],
    "simulate": ["simulate"],
    "rules validate": ["rules", "validate"],
    "rules push": ["rules", "push"],
}


def _write(text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "input.json"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return make


def _directory(folder: Path) -> Path:
    path = folder / "input.json"
    path.mkdir()
    (path / "inner.txt").write_text("not json", encoding="utf-8")
    return path


def _unreadable(folder: Path) -> Path:
    path = _write('{"Version": "2019-10-30"}')(folder)
    path.chmod(0)
    return path


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "nested-100000-deep": _write("[" * 100_000 + "]" * 100_000),
    "integer-5000-digits": _write('{"kind": "tandem/ivr-rules", "Version": ' + "9" * 5000 + "}"),
    "float-overflow": _write('{"kind": "tandem/ivr-rules", "n": 1e999}'),
    "nan": _write('{"kind": "tandem/ivr-rules", "n": NaN}'),
    "binary": _write(bytes(range(256)) * 4),
    "latin-1": _write('{"kind": "caf\u00e9"}'.encode("latin-1")),
    "empty": _write(""),
    "whitespace-only": _write(" \n\t "),
    "invalid-json": _write('{"kind": '),
    "json-array": _write("[1, 2, 3]"),
    "json-scalar": _write('"just a string"'),
    "oversized": _write(" " * (max(FLOW_FILE_MAX_BYTES, DOCUMENT_FILE_MAX_BYTES) + 1) + "{}"),
    "directory": _directory,
    "unreadable": _unreadable,
}


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("command", FILE_COMMANDS)
def test_a_hostile_file_is_one_line_on_stderr_and_exit_1(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    kind: str,
) -> None:
    # Given a file holding something hostile
    path = HOSTILE[kind](tmp_path)
    if kind == "unreadable" and os.geteuid() == 0:
        # root reads a mode-000 file, so the refusal the kernel would give is given instead
        def refuse(*_: object, **__: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(json_text, "open", refuse, raising=False)

    # When a subcommand reads it
    code = main([*FILE_COMMANDS[command], str(path)])
    err = capsys.readouterr().err

    # Then exit 1 (a directory to `flows lint` is a folder of flows: without any, a usage error),
    # and stderr is one line naming the file and what is wrong, no traceback
    expected = 2 if (command, kind) == ("flows lint", "directory") else 1
    assert code == expected, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert str(path) in err and "Traceback" not in err
    assert len(err) < 300, err


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("nested-100000-deep", "nested more than 64 levels deep"),
        ("integer-5000-digits", "number 5,000 characters long"),
        ("binary", "binary file"),
        ("latin-1", "not UTF-8"),
        ("empty", "is empty"),
        ("json-array", "found a JSON array"),
        ("json-scalar", "found a JSON string"),
        ("directory", "is a directory"),
        ("unreadable", "permission denied"),
    ],
)
def test_the_line_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str, says: str
) -> None:
    path = HOSTILE[kind](tmp_path)
    if kind == "unreadable" and os.geteuid() == 0:

        def refuse(*_: object, **__: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(json_text, "open", refuse, raising=False)
    main(["rules", "validate", str(path)])
    assert says.lower() in capsys.readouterr().err.lower()
    main(["simulate", str(path)])
    assert says.lower() in capsys.readouterr().err.lower()


@pytest.mark.parametrize("kind", ["nested-100000-deep", "integer-5000-digits"])
def test_the_reported_tracebacks_are_gone_from_a_real_process(tmp_path: Path, kind: str) -> None:
    # Given the two files the review found printing a 29-line traceback
    path = HOSTILE[kind](tmp_path)
    # When `tandem rules validate` runs as a user runs it
    result = subprocess.run(
        [sys.executable, "-m", "tandem.cli", "rules", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    # Then one line, exit 1
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{path}: ")


# --- size limits ---------------------------------------------------------------------------------


def test_a_flow_over_connects_content_limit_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a raw flow of 256,001 characters (valid JSON, padded with a long prompt)
    document = {"Version": "2019-10-30", "StartAction": "a", "Actions": [], "Pad": ""}
    document["Pad"] = "x" * (256_001 - len(json.dumps(document)))
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(document), encoding="utf-8")
    # And a wrapper whose Content is that document
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"Name": "x", "Type": "CONTACT_FLOW", "Content": json.dumps(document)}))

    assert main(["flows", "lint", str(raw), str(wrapped)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"tandem flows lint: {raw}: the flow is 256,001 characters; Connect accepts at most 256,000",
        f"tandem flows lint: {wrapped}: Content is 256,001 characters; Connect accepts at most 256,000",
    ]


def test_a_rules_document_larger_than_the_store_holds_fails_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the shipped rules with a description that takes the canonical text past 64 KiB
    document = json.loads(RULES.read_text(encoding="utf-8"))
    document["description"] = "d" * DOCUMENT_MAX_BYTES
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["rules", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the store holds at most 64 KB per document" in err


# --- capped text output ----------------------------------------------------------------------------


def test_rules_validate_on_20000_bad_rules_prints_a_capped_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given 20,000 empty rules: each is missing its fields
    document = json.loads(RULES.read_text(encoding="utf-8"))
    document["rules"] = [{}] * 20_000
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")

    # When validated as text / Then the first problems, then how many more
    assert main(["rules", "validate", str(path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == TEXT_LIMIT + 1
    assert all(line.startswith(f"{path}: ") for line in lines[:-1])
    hidden = int(lines[-1].split()[2].replace(",", ""))
    assert lines[-1].startswith("… and ") and hidden > 19_000

    # And JSON carries every problem
    assert main(["rules", "validate", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["problems"]) == TEXT_LIMIT + hidden


def test_flows_lint_prints_a_capped_table_and_json_carries_every_finding_with_a_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a flow of 120 prompts that all go nowhere: 120 errors
    actions = [
        {"Identifier": f"p{i}", "Type": "MessageParticipant", "Parameters": {"Text": "hi"}, "Transitions": {}}
        for i in range(120)
    ]
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"Version": "2019-10-30", "StartAction": "p0", "Actions": actions}))

    assert main(["flows", "lint", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    total = 120 + 119  # a dead end each, and all but the first unreachable
    assert f"… and {total - TEXT_LIMIT} more (--format json lists every one)" in out
    assert len([line for line in out if line.startswith(str(path))]) == TEXT_LIMIT

    assert main(["flows", "lint", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == len(report["findings"]) == total
