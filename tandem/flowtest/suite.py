"""Where test cases are (`flows/tests/` by default, or the files and directories given), and
reading one for the local runner: `flowdoc.testcase` reads the document, and the local conditions
it carries (`Metadata.Tandem`, `tandem.flowtest.conditions`) are checked here, so a case that
cannot run locally is refused in one line before any sandbox work."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowdoc import testcase
from flowdoc.testcase import LOCAL_METADATA_KEY, TestCase, TestCaseError
from tandem.flows.simulator import FLOWS_DIR
from tandem.flowtest.conditions import ConditionsError, read_conditions

TESTS_DIR = FLOWS_DIR / "tests"


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


def find_cases(paths: Sequence[Path] = ()) -> list[Path]:
    """Every *.json test case under `paths` (files as given), sorted; TestCaseError for a path
    that does not exist."""
    found: list[Path] = []
    for path in paths or [_shown(TESTS_DIR)]:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            found.append(path)
        else:
            raise TestCaseError(f"{path}: no such file or directory")
    return found


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when it is inside it (shorter in reports)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
