"""`make test` runs every case in flows/tests/ with `tandem test --junit` into the build folder
(FLOW_TESTS_JUNIT, .build/flow-tests.xml); this reads that report.

Without the report (pytest run on its own) the test skips: the cases themselves run in
tests/flowtest/test_repo_cases.py. With it, the report must be `tandem test`'s, name every case in
flows/tests/ exactly once, and record no failure or error.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tandem.flowtest import find_cases
from tests.conftest import REPO

REPORT = Path(os.environ.get("FLOW_TESTS_JUNIT") or REPO / ".build" / "flow-tests.xml")


def _case_names() -> list[str]:
    names = []
    for path in find_cases():
        raw = json.loads(path.read_text(encoding="utf-8"))
        names.append(str(raw.get("Name") or raw.get("TestCase", {}).get("Name") or path.stem))
    return sorted(names)


def test_make_test_ran_every_case_and_none_failed() -> None:
    if not REPORT.is_file():
        pytest.skip(f"no {REPORT} (make test writes it with `tandem test --junit`)")
    suite = ET.parse(REPORT).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "tandem test"
    cases = suite.findall("testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
    assert failed == [], f"failing test cases in {REPORT}: {failed}"
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert sorted(str(c.get("name")) for c in cases) == _case_names()
    assert int(suite.get("tests", "0")) == len(cases)
