"""`tandem report --from DATE --to DATE [--by DIMENSION]`: contact-centre KPIs over a date range.

Reads the Metrics table's per-day counters (never the calls): one Query for the overall figures
and one for the `--by` dimension, whatever the range. Days are the centre's days, as ingestion
counted them. `--target sandbox` (the default) reads the running `tandem sandbox up` server, or a
fresh in-process sandbox, which has no calls; `--target aws` reads a deployed table. Definitions:
docs/kpis.md. `--format html` draws the same figures as charts on one self-contained page (to
`--output FILE` or standard output). Exit 0 with a report (even an empty one), 1 when the table
cannot be read or the page cannot be written, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The threshold ctr_ingest is deployed with: the counters hold only the result.
from infra.constants import DEFAULT_TIME_ZONE, SERVICE_LEVEL_SECONDS
from lambdas.shared.clock import utc_now
from lambdas.shared.counters import CounterError
from lambdas.shared.tables import METRICS
from tandem.commands.metrics_range import add_range_options, run_for_range
from tandem.kpi import KPI_NAMES, kpis
from tandem.kpi_report import (
    DEFAULT_RECONTACT_WINDOW_HOURS,
    GROUPS,
    Provisional,
    Report,
    build_report,
)
from tandem.kpi_tables import kpi_tables
from tandem.output import add_page_output, emit_json, write_page

# The zone ctr_ingest counts days in: the sandbox's and a stack's default (its `timeZone` context).
CENTRE_TIME_ZONE = DEFAULT_TIME_ZONE
MAX_WINDOW_HOURS = 30 * 24
# CSV carries the counters themselves, so only the derived KPIs are added after them.
CSV_KPIS = tuple(name for name in KPI_NAMES if name not in {"contacts", "csatResponses"})


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("report", help="contact-centre KPIs over a date range, from the counters")
    add_range_options(parser, formats=("table", "json", "csv", "html"))
    add_page_output(parser)
    parser.add_argument(
        "--by", choices=GROUPS, default=None, help=f"one row per value of one of: {', '.join(GROUPS)}"
    )
    add_window_options(parser)
    parser.set_defaults(run=run)


def add_window_options(parser: Any) -> None:
    """--recontact-window-hours and --time-zone: what judges which days are provisional."""
    parser.add_argument(
        "--recontact-window-hours",
        type=_hours,
        default=DEFAULT_RECONTACT_WINDOW_HOURS,
        metavar="HOURS",
        help="ctr_ingest's recontact window: a day is provisional until its end plus this "
        f"(default: {DEFAULT_RECONTACT_WINDOW_HOURS})",
    )
    parser.add_argument(
        "--time-zone",
        type=_zone,
        default=ZoneInfo(CENTRE_TIME_ZONE),
        metavar="ZONE",
        help=f"the centre's time zone, in which days end (default: {CENTRE_TIME_ZONE}, the sandbox's)",
    )


def provisional_as_of(args: argparse.Namespace, now: datetime) -> Provisional:
    """Which days are provisional as of `now`, from the window options."""
    return Provisional(args.time_zone, timedelta(hours=args.recontact_window_hours), now)


def _hours(text: str) -> int:
    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours") from None
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1 to {MAX_WINDOW_HOURS} hours")
    return hours


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an IANA time zone such as {CENTRE_TIME_ZONE}"
        ) from None


def _provisional(args: argparse.Namespace) -> Provisional:
    """Judged as of now: the report's one wall-clock read (tests replace `utc_now`)."""
    return provisional_as_of(args, utc_now())


def run(args: argparse.Namespace) -> int:
    if args.output is not None and args.format != "html":
        return _usage("--output: only with --format html")
    return run_for_range(args, _usage, _from_sandbox, _from_account)


def _usage(message: str) -> int:
    print(f"tandem report: {message}", file=sys.stderr)
    return 2


def _from_sandbox(args: argparse.Namespace, start: date, end: date) -> int:
    from tandem.local import sandbox

    with sandbox() as box:
        table_name = box.table_names[METRICS.env_var]
        try:
            report = _read(args, box.client("dynamodb"), table_name, start, end)
        except CounterError as error:
            print(f"tandem report: {table_name}: {error}", file=sys.stderr)
            return 1
        persistent, where = box.persistent, box.description
    note = None
    if not report.overall["contacts"]:
        note = (
            f"no calls counted from {start} to {end}"
            if persistent
            else "no sandbox server is running, so this read a fresh in-process sandbox, whose Metrics "
            "table is empty; run `tandem sandbox up` and put calls through it to report on them"
        )
    return _emit(report, f"{where}, {table_name}", note, args)


def _from_account(args: argparse.Namespace, table_name: str, start: date, end: date) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.Session(profile_name=args.profile, region_name=args.region).client("dynamodb")
        report = _read(args, client, table_name, start, end)
    except (BotoCoreError, ClientError, CounterError) as error:
        print(f"tandem report: {table_name}: {error}", file=sys.stderr)
        return 1
    note = None if report.overall["contacts"] else f"no calls counted from {start} to {end}"
    return _emit(report, f"aws, {table_name}", note, args)


def _read(args: argparse.Namespace, dynamodb: Any, table_name: str, start: date, end: date) -> Report:
    return build_report(
        dynamodb,
        table_name,
        start,
        end,
        args.by,
        service_level_seconds=SERVICE_LEVEL_SECONDS,
        provisional=_provisional(args),
    )


def _emit(report: Report, source: str, note: str | None, args: argparse.Namespace) -> int:
    output_format = args.format
    if output_format == "html":
        from tandem.html.report import report_page  # plotly: imported only by the command that draws

        return write_page("tandem report", report_page(report, source, note), args.output)
    if output_format == "json":
        emit_json({**report.to_dict(), "source": source, "note": note})
    elif output_format == "csv":
        _print_csv(report)
        if note:
            print(f"tandem report: {note}", file=sys.stderr)  # stdout stays pure CSV
    else:
        _print_table(report, source)
        if note:
            print(f"\nNote: {note}")
    return 0


def _print_csv(report: Report) -> None:
    """The overall row, then a row per value; `provisional` says whether its figures can still change."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["dimension", "value", *report.overall.counts, *CSV_KPIS, "provisional"])
    rows = [("all", "all", report.overall, bool(report.provisional_days))] + [
        (report.by, row.value, row.totals, row.provisional) for row in report.rows
    ]
    for dimension, value, totals, provisional in rows:
        figures = kpis(totals)
        writer.writerow(
            [
                dimension,
                value,
                *totals.counts.values(),
                *("" if figures[k] is None else figures[k] for k in CSV_KPIS),
                "true" if provisional else "false",
            ]
        )


def _print_table(report: Report, source: str) -> None:
    print(
        f"Tandem KPIs {report.start} to {report.end} "
        f"({report.days} days, {report.days_with_calls} with calls), {source}\n"
    )
    print(kpi_tables(report))
