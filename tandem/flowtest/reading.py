"""Reading a test case for the local runner: `flowdoc.testcase` reads the document, and the local conditions
it carries (`Metadata.Tandem`, `tandem.flowtest.conditions`) are checked here, so a case that
cannot run locally is refused in one line before any sandbox work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowdoc import testcase
from flowdoc.testcase import LOCAL_METADATA_KEY, TestCase, TestCaseError
from tandem.flowtest.conditions import ConditionsError, read_conditions


def read(path: Path) -> TestCase:
    """The test case in `path`, its local conditions checked; TestCaseError (one line) otherwise."""
    return _conditions_checked(testcase.read(path))


def parse(raw: Any, path: Path) -> TestCase:
    """`read` for JSON already loaded (`path` names it in messages)."""
    return _conditions_checked(testcase.parse(raw, path))


def _conditions_checked(case: TestCase) -> TestCase:
    try:
        read_conditions({LOCAL_METADATA_KEY: case.local})
    except ConditionsError as error:
        raise TestCaseError(f"{case.source}: {error}") from None
    return case
