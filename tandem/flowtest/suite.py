"""Where test cases are: `flows/tests/` by default, or the files and directories given."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tandem.flows.simulator import FLOWS_DIR
from tandem.flowtest.document import TestCaseError

TESTS_DIR = FLOWS_DIR / "tests"


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
