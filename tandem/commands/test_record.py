"""`tandem test record FLOW [simulate's flags] --name NAME [--output FILE]`: a simulated call,
written as a test case in Connect's testing language (see `tandem.flowtest.record`).

It takes the same flags as `tandem simulate` (they set up the same contact), runs the call on the
sandbox and writes the test case in the wrapper form with placeholders: to FILE (a new file, or
one to replace with `--force`), or to standard output. Exit 0 when written, 1 when the run cannot
be recorded (it did not complete, or a fault has no testing-language equivalent) or the flow file
is refused, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from tandem.commands.simulate import UsageError, add_simulation_arguments, setup_from, simulate_setup

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem test record",
        description="Run a call like `tandem simulate` and write it as a test case.",
    )
    add_simulation_arguments(parser)
    parser.add_argument("--name", required=True, help="the test case's Name")
    parser.add_argument("--description", default="", help="the test case's Description")
    parser.add_argument("--output", "-o", type=Path, default=None, metavar="FILE", help="default: stdout")
    parser.add_argument("--force", action="store_true", help="replace FILE when it exists")
    return parser


def main(argv: Sequence[str]) -> int:
    """`tandem test record ARGS`: `tandem test` takes paths, so the CLI hands `record` here."""
    return run(build_parser().parse_args(list(argv)))


def run(args: argparse.Namespace) -> int:
    from flowdoc.document import FlowLoadError
    from tandem.flows.simulator import FlowNotFound, FlowRefused
    from tandem.flowtest.conditions import WITHHELD_CALLER, LocalConditions
    from tandem.flowtest.record import RecordError, Recording, record

    if not _NAME.match(args.name):
        return _usage(f"--name {args.name!r}: letters, digits, space, '.', '_' or '-', at most 128")
    if args.output is not None and args.output.exists() and not args.force:
        return _usage(f"--output {args.output}: the file exists (--force replaces it)")
    try:
        setup = setup_from(args)
        result = simulate_setup(setup)
    except UsageError as error:
        return _usage(str(error))
    except (FlowLoadError, FlowRefused) as error:
        return _failed(str(error))
    except FlowNotFound as error:
        return _usage(str(error))
    config = setup.config
    withheld = not config.caller.startswith("+")
    conditions = LocalConditions(
        hours=config.hours,
        at=config.at,
        queue_wait_seconds=config.queue_wait_seconds,
        settings=dict(config.settings),
        crm_down=setup.crm_down,
        language_code=config.language,
        withheld=withheld,
        faults=tuple(args.fault),
    )
    recording = Recording(
        name=args.name,
        flow=setup.path.stem,
        caller=WITHHELD_CALLER if withheld else config.caller,
        channel=config.channel,
        conditions=conditions,
        lambda_faults=dict(config.lambda_faults),
        description=args.description,
    )
    try:
        case = record(result, recording)
    except RecordError as error:
        return _failed(str(error))
    text = json.dumps(case, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    observations = len(case["Content"]["Observations"])
    print(f"wrote {args.output}: {observations} observations, outcome {result.outcome}", file=sys.stderr)
    return 0


def _usage(message: str) -> int:
    print(f"tandem test record: {message}", file=sys.stderr)
    return 2


def _failed(message: str) -> int:
    print(f"tandem test record: {message}", file=sys.stderr)
    return 1
