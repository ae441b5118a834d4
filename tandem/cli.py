"""The `tandem` command line.

Exit codes: 0 success, 1 findings or failure, 2 usage errors (with a one-line message).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tandem.commands import (
    demo,
    experiment,
    flows,
    ingest,
    refused,
    replay,
    report,
    rules,
    sandbox,
    simulate,
    test,
)

COMMANDS = (demo, experiment, flows, ingest, report, refused, replay, rules, sandbox, simulate, test)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description="Tandem: Amazon Connect, machine and human.")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    return int(run(args))


if __name__ == "__main__":
    sys.exit(main())
