"""`tandem demo`: the local demo on the moto sandbox."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "demo",
        help="place scripted calls through the inbound flow on the local sandbox",
        description="Place the scripted calls through flows/inbound_main.json, against the real handlers "
        "on the moto sandbox, and print a trace per call and a summary; then turn the calls into contact "
        "records, count them with ctr_ingest and print the KPI report. Exit 1 when a call does not end "
        "as its scenario expects or the KPIs disagree with the calls.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--calls",
        type=_count,
        metavar="N",
        help="instead, a synthetic day of N varied calls, with a progress bar and the day's figures",
    )
    parser.add_argument("--seed", type=int, default=7, help="the synthetic day's random seed (default: 7)")
    parser.add_argument(
        "--experiment",
        choices=("deflect", "harmful", "aa"),
        help="with --calls N: N new callers a day over --days days, half of them on a challenger "
        "(deflect: more order-status calls to self-service; harmful: callers who ask for a person kept "
        "in self-service; aa: the champion against itself), the guard each evening, then the status",
    )
    parser.add_argument(
        "--days",
        type=_days,
        default=None,
        metavar="D",
        help="with --experiment: working days to simulate (default: 15)",
    )
    parser.add_argument(
        "--handlers",
        action="store_true",
        help="instead, each handler on its own with the events a flow sends",
    )
    parser.set_defaults(run=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of calls") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1 to 100000 calls")
    return value


def _days(text: str) -> int:
    from tandem.demo.experiment import MAX_DAYS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1 to {MAX_DAYS} days")
    return value


def run(args: argparse.Namespace) -> int:
    from tandem.demo.scripted import run as run_demo

    if args.handlers and args.calls is not None:
        print("tandem demo: choose one of --calls and --handlers", file=sys.stderr)
        return 2
    if args.experiment is not None:
        if args.calls is None or args.handlers:
            print("tandem demo: --experiment needs --calls N (new callers a day)", file=sys.stderr)
            return 2
        from tandem.demo.experiment import DEFAULT_DAYS, run_experiment

        days = args.days or DEFAULT_DAYS
        return run_experiment(args.experiment, args.calls, days, seed=args.seed, output_format=args.format)
    if args.days is not None:
        print("tandem demo: --days only with --experiment", file=sys.stderr)
        return 2
    return run_demo(args.format, calls=args.calls, seed=args.seed, handlers=args.handlers)
