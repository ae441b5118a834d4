"""`make test` runs every case in flows/tests/ with `tandem test --junit` into the build folder
(FLOW_TESTS_JUNIT, .build/flow-tests.xml); this reads that report.

This is the one full run of the cases: `make test` runs them before pytest and names the report
in FLOW_TESTS_JUNIT; pytest run on its own (no FLOW_TESTS_JUNIT) runs `tandem test --junit` here
instead. The report must be `tandem test`'s, name every case in flows/tests/ exactly once, and
record no failure or error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from tandem.cli import main
from tandem.flowtest import find_cases

GIVEN = os.environ.get("FLOW_TESTS_JUNIT")


def _case_names() -> list[str]:
    names = []
    for path in find_cases():
        raw = json.loads(path.read_text(encoding="utf-8"))
        names.append(str(raw.get("Name") or raw.get("TestCase", {}).get("Name") or path.stem))
    return sorted(names)


def _report(tmp_path: Path) -> Path:
    if GIVEN:
        report = Path(GIVEN)
        assert report.is_file(), f"FLOW_TESTS_JUNIT={GIVEN}: no report (make test writes it)"
        return report
    report = tmp_path / "flow-tests.xml"
    with contextlib.redirect_stdout(io.StringIO()):
        main(["test", "--junit", str(report)])
    return report


def test_every_case_ran_once_and_none_failed(tmp_path: Path) -> None:
    report = _report(tmp_path)
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "tandem test"
    cases = suite.findall("testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
    assert failed == [], f"failing test cases in {report}: {failed}"
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert sorted(str(c.get("name")) for c in cases) == _case_names()
    assert int(suite.get("tests", "0")) == len(cases)
