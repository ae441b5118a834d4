"""`tandem test`: exit codes, one-line errors, --format json, --junit and --coverage."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tandem.cli import main
from tests.flowtest.support import document, dtmf, message, observation, wrapper

REPO = Path(__file__).resolve().parents[2]
PASSING = REPO / "flows" / "tests" / "press_0_speak_to_someone.json"


def failing_copy(tmp_path: Path) -> Path:
    raw = json.loads(PASSING.read_text(encoding="utf-8"))
    menu = next(o for o in raw["Content"]["Observations"] if o["Identifier"] == "main-menu")
    menu["Event"]["Properties"]["Text"] = "To speak to a robot, press 0."
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_passing_and_failing_cases_text_json_and_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(PASSING, tmp_path / "passing.json")
    failing_copy(tmp_path)
    report = tmp_path / "build" / "flow-tests.xml"
    assert main(["test", str(tmp_path), "--junit", str(report)]) == 1
    out = capsys.readouterr().out
    assert "PASS press-0-speak-to-someone" in out and "FAIL press-0-speak-to-someone" in out
    assert (
        "✗ observation 'main-menu' never matched: expected MessageReceived (Inclusion) "
        '"To speak to a robot, press 0."' in out
    )
    assert "trace:" in out and "inbound_main/ask-menu GetParticipantInput" in out
    assert "1 passed, 1 failed, 2 test case(s)" in out

    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    failures = [c.find("failure") for c in suite.iter("testcase")]
    messages = [f.get("message") for f in failures if f is not None]
    assert len(messages) == 1 and "'main-menu' never matched" in str(messages[0])

    assert main(["test", str(tmp_path / "passing.json"), "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["summary"] == {"passed": 1, "failed": 0, "seconds": answer["summary"]["seconds"]}
    assert [m["observation"] for m in answer["tests"][0]["matched"]][:2] == ["start", "greeting"]
    assert "+12025550101" not in json.dumps(answer)  # phone numbers are masked


def test_coverage_lists_every_flow_and_the_transitions_never_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", str(PASSING), "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "Transition coverage (taken / all; the share a cloud test case can take)" in out
    assert "inbound_main: " in out and "post_call_survey: " in out and "agent_whisper: " in out
    assert "never taken: ask-menu → Equals 1\n" in out  # a test case can take it: no reason
    assert "; Connect can take " in out
    assert "never taken: thank-you → NoMatchingError  [fails-only-on-service-fault]" in out


def test_a_malformed_case_is_one_line_and_exit_2_and_the_rest_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(PASSING, tmp_path / "a_passing.json")
    bad = wrapper(document(observation("menu", {"Type": "PromptHeard", "Properties": {}})))
    (tmp_path / "b_bad.json").write_text(json.dumps(bad), encoding="utf-8")
    report = tmp_path / "report.xml"
    assert main(["test", str(tmp_path), "--junit", str(report)]) == 2
    captured = capsys.readouterr()
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("errors"), suite.get("failures")) == (
        "2",
        "1",
        "0",
    )
    assert captured.err.splitlines() == [
        f"tandem test: {tmp_path / 'b_bad.json'}: observation 'menu': unknown event type 'PromptHeard' "
        "(known: TestInitiated, MessageReceived, FlowActionStarted, TestCompleted)"
    ]
    assert "PASS press-0-speak-to-someone" in captured.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["test", "no/such/dir"], "no/such/dir: no such file or directory"),
        (["test", "--caller", "12345"], "--caller '12345': expected a +E164 number"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and says in err


def test_a_bare_document_needs_a_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bare.json"
    path.write_text(
        json.dumps(document(observation("menu", message("Thanks for calling."), [dtmf("p", "0")]))),
        encoding="utf-8",
    )
    assert main(["test", str(path)]) == 2
    assert "a bare document needs --flow" in capsys.readouterr().err
    assert main(["test", str(path), "--flow", "inbound_main", "--caller", "+12025550177"]) == 0


def test_no_traceback_from_a_real_process_whatever_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\x00\xff\x10garbage")
    done = subprocess.run(
        [sys.executable, "-m", "tandem.cli", "test", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"tandem test: {path}: not UTF-8 text"
