"""`tandem refused --from DATE --to DATE`: the contact records ctr_ingest refused, and why.

Lists what the Metrics table keeps of each refused record (`REFUSED#<day>` items, 30 days): when it
reached the stream, the reason code, the field at fault, a hash of its contact id and its Kinesis
record id. The raw records are in the refused-records SQS queue (14 days), each message naming the
same record id and hash. Days are the centre's days. `--target sandbox` (the default) reads the
running `tandem sandbox up` server, or a fresh in-process sandbox, which has none; `--target aws`
reads a deployed table. Exit 0 with a listing (even an empty one), 1 when the table cannot be read,
2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from typing import Any

from infra.constants import CTR_REFUSED_RETENTION_DAYS
from lambdas.ctr_ingest.aggregates import REFUSED_TTL_DAYS
from lambdas.shared.tables import METRICS
from tandem.commands.metrics_range import add_range_options, run_for_range
from tandem.output import emit_json, table
from tandem.refused import RefusedRecord, by_reason, list_refused

COLUMNS = ("arrivedAt", "reason", "field", "contactHash", "recordId", "raw")


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "refused", help="contact records ctr_ingest refused (reason, field, hashed contact id), by day"
    )
    add_range_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_for_range(args, _usage, _from_sandbox, _from_account)


def _usage(message: str) -> int:
    print(f"tandem refused: {message}", file=sys.stderr)
    return 2


def _from_sandbox(args: argparse.Namespace, start: date, end: date) -> int:
    from tandem.local import sandbox

    with sandbox() as box:
        table_name = box.table_names[METRICS.env_var]
        records = list_refused(box.client("dynamodb"), table_name, start, end)
        persistent, where = box.persistent, box.description
    note = None
    if not records:
        note = (
            f"no records refused from {start} to {end}"
            if persistent
            else "no sandbox server is running, so this read a fresh in-process sandbox, which has "
            "refused nothing; run `tandem sandbox up` and put contact records through it"
        )
    return _emit(records, start, end, f"{where}, {table_name}", note=note, output_format=args.format)


def _from_account(args: argparse.Namespace, table_name: str, start: date, end: date) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.Session(profile_name=args.profile, region_name=args.region).client("dynamodb")
        records = list_refused(client, table_name, start, end)
    except (BotoCoreError, ClientError) as error:
        print(f"tandem refused: {table_name}: {error}", file=sys.stderr)
        return 1
    note = None if records else f"no records refused from {start} to {end}"
    return _emit(records, start, end, f"aws, {table_name}", note=note, output_format=args.format)


def _emit(
    records: list[RefusedRecord], start: date, end: date, source: str, *, note: str | None, output_format: str
) -> int:
    rows = [record.to_dict() for record in records]
    if output_format == "json":
        emit_json(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "count": len(rows),
                "byReason": by_reason(records),
                "records": rows,
                "source": source,
                "note": note,
            }
        )
    elif output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([row[column] for column in COLUMNS] for row in rows)
        if note:
            print(f"tandem refused: {note}", file=sys.stderr)  # stdout stays pure CSV
    else:
        print(f"Refused contact records {start} to {end} ({len(rows)}), {source}\n")
        print(table(COLUMNS, [[row[column] for column in COLUMNS] for row in rows]))
        if rows:
            print("\n" + table(["reason", "records"], list(by_reason(records).items())))
        print(
            f"\nListed for {REFUSED_TTL_DAYS} days. The raw records (they hold phone numbers) are only "
            f"in the stack's refused-records SQS queue, for {CTR_REFUSED_RETENTION_DAYS} days; match a "
            "message by recordId."
        )
        if note:
            print(f"\nNote: {note}")
    return 0
