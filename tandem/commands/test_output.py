"""What `tandem test` prints and writes, for local and cloud runs alike (tandem/commands/test.py,
tandem/commands/test_aws.py): the report as text or JSON, the JUnit file, and the exit code."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def emit(
    args: argparse.Namespace,
    results: list[Any],
    problems: list[str],
    covered: Any = None,
    *,
    why: Any = None,
    seconds: float | None = None,
) -> int:
    """Print the report (text or JSON), write --junit; the exit code. Local and cloud runs alike."""
    from tandem.flowtest import report
    from tandem.output import emit_json

    for problem in problems:
        print(f"tandem test: {problem}", file=sys.stderr)
    if args.junit is not None:
        try:
            args.junit.parent.mkdir(parents=True, exist_ok=True)
            args.junit.write_text(report.junit(results, problems), encoding="utf-8")
        except OSError as error:
            return usage(f"--junit {args.junit}: cannot write: {error.strerror or error}")
    if args.format == "json":
        document = report.as_json(results, covered=covered, why=why, seconds=seconds)
        document["problems"] = problems
        emit_json(document)
    else:
        print(report.text(results, covered=covered, why=why, seconds=seconds))
    if problems:
        return 2
    return 0 if all(r.passed for r in results) else 1


def usage(message: str) -> int:
    print(f"tandem test: {message}", file=sys.stderr)
    return 2
