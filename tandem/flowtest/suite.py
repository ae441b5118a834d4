"""Where test cases are (`flows/tests/` by default, or the files and directories given) and
running many of them on one sandbox.

`run_suite` stands one local sandbox up for the whole run and, before each case, puts its
tables back as they were seeded (`tandem.local.snapshot`) and cold-starts the handlers'
containers: each case meets the same data and no warm cache another case filled, as on a fresh
sandbox, at a tenth of the cost (a sandbox is set up once, not per case).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flowdoc.testcase import TestCaseError
from tandem.flows.simulator import FLOWS_DIR
from tandem.flowtest.reading import read
from tandem.flowtest.runner import RunOptions, TestResult, run_case

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


@dataclass(frozen=True)
class SuiteRun:
    """The results, one line per file that could not be used, and the run's wall-clock seconds
    (sandbox set-up included)."""

    results: list[TestResult]
    problems: list[str]
    seconds: float


def run_suite(paths: Sequence[Path], options: RunOptions) -> SuiteRun:
    """Run every case in `paths`, in order, each on the same sandbox reset to its seeded state."""
    from tandem.local import sandbox
    from tandem.local.snapshot import TableSnapshot

    started = time.perf_counter()
    results: list[TestResult] = []
    problems: list[str] = []
    with sandbox(attach=False) as box:
        seeded = TableSnapshot.take(box)
        dirty = False
        for path in paths:
            try:
                case = read(path)
            except TestCaseError as error:
                problems.append(str(error))
                continue
            if dirty:
                seeded.restore(box)
                box.cold_start()
                box.invocations.clear()
            dirty = True
            try:
                results.append(run_case(case, options, box=box))
            except TestCaseError as error:
                problems.append(str(error))
    return SuiteRun(results, problems, time.perf_counter() - started)


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when it is inside it (shorter in reports)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
