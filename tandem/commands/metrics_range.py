"""What `tandem report`, `tandem refused` and `tandem replay` share: a date range read from a table
(Metrics; Interactions for replay), in the sandbox or in a deployed stack. One set of options and one
way to choose where to read."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from lambdas.shared.tables import METRICS, TableSpec
from tandem.kpi_report import RangeError, check_range

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Reader = Callable[[argparse.Namespace, date, date], int]
AccountReader = Callable[[argparse.Namespace, str, date, date], int]


def add_range_options(
    parser: Any,
    *,
    table: TableSpec = METRICS,
    formats: Sequence[str] = ("table", "json", "csv"),
    range_required: bool = True,
) -> None:
    """--from/--to, --format and where to read: --target, --profile, --region, --table."""
    parser.add_argument(
        "--from", dest="start", required=range_required, metavar="DATE", help="first day, YYYY-MM-DD"
    )
    parser.add_argument(
        "--to", dest="end", required=range_required, metavar="DATE", help="last day (inclusive)"
    )
    parser.add_argument("--format", choices=formats, default="table")
    parser.add_argument("--target", choices=("sandbox", "aws"), default="sandbox")
    parser.add_argument("--profile", default=None, help="AWS profile for --target aws")
    parser.add_argument(
        "--region", default=None, help="AWS region for --target aws (default: your AWS config)"
    )
    parser.add_argument(
        "--table",
        default=None,
        help=f"the {table.logical_name} table for --target aws (default: ${table.env_var})",
    )


def parse_date(option: str, text: str) -> date:
    # date.fromisoformat also takes 20260101 and 2026-W01-1; the commands promise YYYY-MM-DD only.
    if not _ISO_DATE.match(text):
        raise RangeError(f"{option} {text!r}: expected a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise RangeError(f"{option} {text!r}: not a date ({error})") from None


def run_for_range(
    args: argparse.Namespace,
    usage: Callable[[str], int],
    from_sandbox: Reader,
    from_account: AccountReader,
) -> int:
    """Check the range and the target's options, then read from the sandbox or the account."""
    try:
        start, end = parse_date("--from", args.start), parse_date("--to", args.end)
        check_range(start, end)
    except RangeError as error:
        return usage(str(error))
    return run_on_target(
        args,
        usage,
        lambda given: from_sandbox(given, start, end),
        lambda given, table_name: from_account(given, table_name, start, end),
    )


def optional_range(args: argparse.Namespace) -> tuple[date, date] | None:
    """--from and --to when both are given, None when neither is; RangeError otherwise."""
    if args.start is None and args.end is None:
        return None
    if args.start is None or args.end is None:
        raise RangeError("--from and --to go together")
    start, end = parse_date("--from", args.start), parse_date("--to", args.end)
    check_range(start, end)
    return start, end


def run_on_target(
    args: argparse.Namespace,
    usage: Callable[[str], int],
    from_sandbox: Callable[[argparse.Namespace], int],
    from_account: Callable[[argparse.Namespace, str], int],
    table: TableSpec = METRICS,
) -> int:
    """Check the target's options, then read from the sandbox or the account's `table`."""
    if args.target == "sandbox":
        stray = [f"--{n}" for n in ("profile", "region", "table") if getattr(args, n) is not None]
        if stray:
            return usage(f"{', '.join(stray)}: only with --target aws")
        return from_sandbox(args)
    table_name = args.table or os.environ.get(table.env_var, "")
    if not table_name:
        return usage(
            f"--target aws needs --table (the stack's {table.logical_name} table) or {table.env_var}"
        )
    return from_account(args, table_name)
