"""`tandem test [PATH...]`: run Amazon Connect test cases locally on the real Lambdas; with
`--target aws --instance ARN [--profile P --region R]`, in Connect itself (tandem/commands/test_aws.py).

PATH is a test-case file or a directory (every *.json under it); with none, the repo's
`flows/tests/`. A file is Connect's CreateTestCase shape (`Name`, `EntryPoint`, `Content`,
`InitializationData`) or a bare testing-language document, whose entry point comes from `--flow`,
`--caller` and `--channel`. The tests share one local sandbox, reset to its seeded data before
each (tandem.flowtest.suite), and run through the flow simulator
(tandem.flowtest; docs/testing-flows.md says what is approximated). Prints per test the
observations matched and, on failure, expected vs actual and the call's trace; `--format json`
for tools; `--junit FILE` writes a JUnit report; `--coverage` adds transition coverage per flow
and the transitions never taken. Exit 0 when every test passes, 1 when one fails, 2 when a file
cannot be used (one line each: the file, the observation, what is wrong) or on usage errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tandem.commands.test_output import emit
from tandem.commands.test_output import usage as _usage


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "test", help="run Connect test cases locally on the real Lambdas, or in Connect (--target aws)"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="test-case files or directories; default flows/tests/",
    )
    parser.add_argument(
        "--flow", default="", help="a bare document's entry flow (a name in flows/ or a file)"
    )
    parser.add_argument("--caller", default="+12025550101", help="a bare document's caller (+E164)")
    parser.add_argument(
        "--channel", choices=("VOICE", "CHAT"), default="VOICE", help="a bare document's channel"
    )
    parser.add_argument(
        "--similarity-threshold",
        type=_ratio,
        default=None,
        metavar="RATIO",
        help="Similarity matching passes at this token-set ratio, 0..1 (default 0.8)",
    )
    parser.add_argument(
        "--max-steps",
        type=_steps,
        default=None,
        metavar="N",
        help="the step budget standing in for the timeout",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--junit", type=Path, default=None, metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--coverage", action="store_true", help="print transition coverage per flow")
    cloud = parser.add_argument_group("in the cloud (--target aws)")
    parser.add_argument(
        "--target",
        choices=("local", "aws"),
        default="local",
        help="local: the simulator on the real Lambdas (default); aws: Connect runs the test cases",
    )
    cloud.add_argument("--instance", default="", metavar="ARN", help="the Connect instance (ARN or id)")
    cloud.add_argument("--profile", default=None, help="AWS profile (default: the usual chain)")
    cloud.add_argument("--region", default=None, help="AWS region (default: the instance ARN's)")
    parser.set_defaults(run=run)


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a ratio above 0 and at most 1")
    return value


def _steps(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of steps, at least 1")
    return int(text)


def run(args: argparse.Namespace) -> int:
    if args.target == "aws":
        from tandem.commands.test_aws import run_aws

        return run_aws(args)
    if args.instance:
        return _usage("--instance is for --target aws (the local run needs no instance)")
    from tandem.flows.simulator import FLOWS_DIR
    from tandem.flows.simulator.blocks import E164
    from tandem.flowtest import RunOptions, TestCaseError, find_cases, report, run_suite
    from tandem.flowtest.events import DEFAULT_SIMILARITY

    if not E164.match(args.caller):
        return _usage(f"--caller {args.caller!r}: expected a +E164 number such as +12025550101")
    options = RunOptions(
        flow=args.flow,
        caller=args.caller,
        channel=args.channel,
        similarity=args.similarity_threshold or DEFAULT_SIMILARITY,
        **({"max_steps": args.max_steps} if args.max_steps else {}),
    )
    try:
        paths = find_cases(args.paths)
    except TestCaseError as error:
        return _usage(str(error))
    if not paths:
        return _usage(f"no test cases (*.json) in {', '.join(map(str, args.paths)) or 'flows/tests/'}")
    run = run_suite(paths, options)
    covered = report.coverage(run.results, FLOWS_DIR) if args.coverage else None
    why = report.reasons(FLOWS_DIR) if args.coverage else None
    return emit(args, run.results, run.problems, covered, why=why, seconds=run.seconds)
