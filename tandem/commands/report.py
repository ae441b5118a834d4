"""`tandem report --from DATE --to DATE [--by DIMENSION]`: contact-centre KPIs over a date range.

Reads the Metrics table's per-day counters (never the calls): one Query for the overall figures
and one for the `--by` dimension, whatever the range. Days are the centre's days, as ingestion
counted them. `--target sandbox` (the default) reads the running `tandem sandbox up` server, or a
fresh in-process sandbox, which has no calls; `--target aws` reads a deployed table. Definitions:
docs/kpis.md. Exit 0 with a report (even an empty one), 1 when the table cannot be read, 2 on
usage errors.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from typing import Any

# The threshold ctr_ingest is deployed with: the counters hold only the result.
from infra.constants import SERVICE_LEVEL_SECONDS
from lambdas.shared.tables import METRICS
from tandem.commands.metrics_range import add_range_options, run_for_range
from tandem.kpi import KPI_NAMES, kpis
from tandem.kpi_report import GROUPS, CounterError, Report, build_report
from tandem.kpi_tables import kpi_tables
from tandem.output import emit_json

# CSV carries the counters themselves, so only the derived KPIs are added after them.
CSV_KPIS = tuple(name for name in KPI_NAMES if name not in {"contacts", "csatResponses"})


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("report", help="contact-centre KPIs over a date range, from the counters")
    add_range_options(parser)
    parser.add_argument(
        "--by", choices=GROUPS, default=None, help="one row per intent, route, queue or reason"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_for_range(args, _usage, _from_sandbox, _from_account)


def _usage(message: str) -> int:
    print(f"tandem report: {message}", file=sys.stderr)
    return 2


def _from_sandbox(args: argparse.Namespace, start: date, end: date) -> int:
    from tandem.local import sandbox

    with sandbox() as box:
        table_name = box.table_names[METRICS.env_var]
        try:
            report = build_report(
                box.client("dynamodb"),
                table_name,
                start,
                end,
                args.by,
                service_level_seconds=SERVICE_LEVEL_SECONDS,
            )
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
    return _emit(report, f"{where}, {table_name}", note, args.format)


def _from_account(args: argparse.Namespace, table_name: str, start: date, end: date) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.Session(profile_name=args.profile, region_name=args.region).client("dynamodb")
        report = build_report(
            client, table_name, start, end, args.by, service_level_seconds=SERVICE_LEVEL_SECONDS
        )
    except (BotoCoreError, ClientError, CounterError) as error:
        print(f"tandem report: {table_name}: {error}", file=sys.stderr)
        return 1
    note = None if report.overall["contacts"] else f"no calls counted from {start} to {end}"
    return _emit(report, f"aws, {table_name}", note, args.format)


def _emit(report: Report, source: str, note: str | None, output_format: str) -> int:
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
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["dimension", "value", *report.overall.counts, *CSV_KPIS])
    rows = [("all", "all", report.overall)] + [(report.by, row.value, row.totals) for row in report.rows]
    for dimension, value, totals in rows:
        figures = kpis(totals)
        writer.writerow(
            [
                dimension,
                value,
                *totals.counts.values(),
                *("" if figures[k] is None else figures[k] for k in CSV_KPIS),
            ]
        )


def _print_table(report: Report, source: str) -> None:
    print(
        f"Tandem KPIs {report.start} to {report.end} "
        f"({report.days} days, {report.days_with_calls} with calls), {source}\n"
    )
    print(kpi_tables(report))
