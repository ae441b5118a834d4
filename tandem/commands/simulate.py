"""`tandem simulate FLOW`: run a flow locally against the real handlers, with scripted caller input.

FLOW is a flow name in the repo's `flows/` (`inbound_main`) or a path to a flow file. The run uses
the sandbox (attached to `tandem sandbox up` when one is running), decides as of a fixed Monday
(10:00 New York with `--set-hours open`, 22:00 with `closed`) and prints the path, every Lambda
call with its response, what the caller heard, the outcome and branch coverage. Phone numbers are
masked. `--fail FUNCTION[=error|timeout|invalid]` (repeatable) makes that function's blocks take
their error branch (default `error`; see `tandem.flows.simulator`); `--fault FLOW/ACTION[:ERROR]`
(repeatable) makes one block take an error branch instead of running (a local-only block fault).
`--at` sets the moment (a
holiday: 2026-12-25T15:00:00Z), `--crm-down` makes the CRM answer 503, `--language` and
`--channel` set the contact's language and channel. Exit 0 when the simulation
completes (whatever the outcome), 1 when a guard stopped it or the outcome is `error`, or the
flow file is refused (unreadable, not a flow, too large, or actions sharing an Identifier — the
checks `tandem flows lint` makes), 2 on usage errors (no such flow).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tandem.output import emit_json, masked, table

if TYPE_CHECKING:
    from tandem.flows.simulator import SimulationConfig, SimulationResult

WITHHELD = ("anonymous", "withheld", "restricted", "private", "unknown")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
NOTE_WIDTH = 90
TIME_ZONE = "America/New_York"  # the sandbox's TIME_ZONE


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "simulate", help="run a flow locally against the real handlers, with scripted caller input"
    )
    add_simulation_arguments(parser)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(run=run)


def add_simulation_arguments(parser: Any) -> None:
    """The flags that set up one simulated contact (shared with `tandem test record`)."""
    parser.add_argument(
        "flow", metavar="FLOW", help="a flow name in flows/ (e.g. inbound_main) or a flow file"
    )
    parser.add_argument(
        "--caller", default="+12025550101", help="+E164 number or 'anonymous' (default: %(default)s)"
    )
    parser.add_argument(
        "--input",
        dest="inputs",
        action="append",
        default=[],
        metavar="X",
        help="the caller's next key press, digits or words (repeat; '' is silence)",
    )
    parser.add_argument("--set-hours", choices=("open", "closed"), default="open", dest="hours")
    parser.add_argument(
        "--at",
        type=_moment,
        default=None,
        metavar="ISO",
        help="when the call happens (e.g. 2026-12-25T15:00:00Z, a holiday); overrides --set-hours' moment",
    )
    parser.add_argument(
        "--queue-wait",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="the queue's estimated wait; runs the customer-queue flow (default: a quiet queue)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a {{setting:NAME}} value, e.g. lexBotAliasArn=arn:... to use the fake Lex bot",
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="FUNCTION[=KIND]",
        help="make a Lambda fail: KIND is error (the default), timeout or invalid (repeat)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="FLOW/ACTION[:ERROR]",
        help="make a block take its error branch instead of running (local only; repeat)",
    )
    parser.add_argument("--crm-down", action="store_true", help="the CRM answers 503 throughout the call")
    parser.add_argument("--language", default="en-US", help="the contact's language (default: %(default)s)")
    parser.add_argument("--channel", choices=("VOICE", "CHAT"), default="VOICE", type=str.upper)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an ISO moment with a zone, e.g. 2026-12-25T15:00:00Z"
        )
    return moment


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds cannot be negative")
    return value


@dataclass(frozen=True)
class Setup:
    """One simulated contact as the flags set it up."""

    path: Path
    config: SimulationConfig
    crm_down: bool


class UsageError(Exception):
    """A flag is wrong (exit 2); the message is one line."""


def setup_from(args: argparse.Namespace) -> Setup:
    """The flow file and the contact's setup from the simulation flags.

    Raises UsageError for a wrong flag or an unknown flow, FlowLoadError for an unusable flow file.
    """
    from flowdoc.document import load_flow
    from tandem.flows.simulator import (
        LAMBDA_FAULTS,
        FlowNotFound,
        LambdaFault,
        SimulationConfig,
        find_flow_file,
    )
    from tandem.local.sandbox import FUNCTIONS

    caller = args.caller.strip()
    if not (_E164.match(caller) or caller.lower() in WITHHELD):
        raise UsageError(f"--caller {caller!r}: expected a +E164 number such as +12025550101, or 'anonymous'")
    settings: dict[str, str] = {}
    for item in args.setting:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageError(f"--setting {item!r}: expected NAME=VALUE")
        settings[name] = value
    faults: dict[str, LambdaFault] = {}
    for item in args.fail:
        function, _, kind = item.partition("=")
        fault = next((f for f in LAMBDA_FAULTS if f == (kind or "error")), None)
        if function not in FUNCTIONS or fault is None:
            raise UsageError(
                f"--fail {item!r}: expected FUNCTION[=KIND], FUNCTION one of {', '.join(FUNCTIONS)}, "
                f"KIND one of {', '.join(LAMBDA_FAULTS)}"
            )
        faults[function] = fault
    try:
        path = find_flow_file(args.flow)
    except FlowNotFound as error:
        raise UsageError(str(error)) from None
    block_faults = _block_faults(args.fault, path.parent)
    load_flow(path).require()  # refuse an unusable flow before starting a sandbox
    config = SimulationConfig(
        caller=caller,
        inputs=args.inputs,
        hours=args.hours,
        queue_wait_seconds=args.queue_wait,
        settings=settings,
        lambda_faults=faults,
        block_faults=block_faults,
        at=args.at,
        language=args.language,
        channel=args.channel,
    )
    return Setup(path, config, args.crm_down)


def _block_faults(given: list[str], flows_dir: Path) -> dict[str, str]:
    """--fault values as the simulator takes them, each checked against the flows."""
    from flowdoc.testcase import TestCaseError
    from tandem.flowtest.conditions import ConditionsError, read_conditions
    from tandem.flowtest.faults import check_faults

    try:
        faults = read_conditions({"Tandem": {"Faults": list(given)}}).block_faults()
        check_faults(faults, flows_dir, "--fault")
    except (ConditionsError, TestCaseError) as error:
        raise UsageError(str(error).replace("Metadata.Tandem.Faults", "--fault")) from None
    return faults


def simulate_setup(setup: Setup) -> SimulationResult:
    """Run the set-up contact on the sandbox (attached to `tandem sandbox up` when one runs)."""
    from tandem.flows.simulator import simulate
    from tandem.local import sandbox

    with sandbox() as box:
        outage = box.crm_outage() if setup.crm_down else contextlib.nullcontext()
        with outage:
            return simulate(setup.path, box=box, config=setup.config)


def run(args: argparse.Namespace) -> int:
    from flowdoc.document import FlowLoadError
    from tandem.flows.simulator import FlowNotFound, FlowRefused

    try:
        setup = setup_from(args)
        result = simulate_setup(setup)
    except UsageError as error:
        return _usage(str(error))
    except (FlowLoadError, FlowRefused) as error:
        print(f"tandem simulate: {error}", file=sys.stderr)
        return 1
    except FlowNotFound as error:
        return _usage(str(error))
    if args.format == "json":
        emit_json(masked(result.to_dict()))
    else:
        _print(result, args)
    return 0 if result.completed else 1


def _usage(message: str) -> int:
    print(f"tandem simulate: {message}", file=sys.stderr)
    return 2


def _compact(value: Any) -> str:
    return json.dumps(masked(value), ensure_ascii=False, separators=(", ", ": "))


def _print(result: Any, args: argparse.Namespace) -> None:
    from tandem.flows.simulator import CLOSED_MOMENT, OPEN_MOMENT

    moment = (args.at or (OPEN_MOMENT if args.hours == "open" else CLOSED_MOMENT)).astimezone(
        ZoneInfo(TIME_ZONE)
    )
    wait = "quiet queue" if args.queue_wait is None else f"queue wait {args.queue_wait} s"
    inputs = ", ".join(repr(i) for i in args.inputs) or "none"
    print(
        f"Simulating {result.flow} (local sandbox; Lex is faked by a keyword table)\n"
        f"caller {masked(args.caller)}, hours {args.hours} ({moment:%A %Y-%m-%d %H:%M} {TIME_ZONE}), {wait}, "
        f"inputs: {inputs}\n"
    )
    rows = [
        [i, s.flow, s.action, s.type, s.branch or "(end)", _short(masked(s.note))]
        for i, s in enumerate(result.steps, start=1)
    ]
    print(table(["#", "flow", "action", "type", "branch", "note"], rows))

    print("\nLambda calls")
    if not result.lambda_calls:
        print("  none")
    for call in result.lambda_calls:
        print(f"  {call.function} ({call.flow}/{call.action})")
        print(f"    parameters: {_compact(call.parameters)}")
        if call.error:
            print(f"    error branch: {masked(call.error)}")
        if call.response is not None:
            print(f"    response:   {_compact(call.response)}")

    print("\nCaller heard")
    for text in result.heard or ["(nothing)"]:
        print(f"  {masked(text)}")
    if result.whispered:
        print("\nAgent heard (whisper)")
        for text in result.whispered:
            print(f"  {masked(text)}")

    where = f", queue {result.queue}, priority {result.priority}" if result.queue else ""
    print(f"\nOutcome: {result.outcome}{where}")
    if result.stopped:
        print(f"Stopped: {result.stopped}")
    if result.attributes:
        print(f"Contact attributes: {_compact(result.attributes)}")
    if result.inputs_left:
        print(f"Inputs not used: {', '.join(repr(i) for i in result.inputs_left)}")

    print("\nCoverage (transitions taken / all)")
    coverage_rows = [
        [name, f"{len(c.taken)}/{len(c.transitions)}", f"{c.ratio:.0%}"]
        for name, c in result.coverage.items()
    ]
    print(table(["flow", "taken", "%"], coverage_rows))
    if result.warnings:
        print("\nWarnings")
        for warning in result.warnings:
            print(f"  {masked(warning)}")


def _short(text: str) -> str:
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1] + "…"
