"""`tandem ingest PATH...`: contact records from files, counted by the real ctr_ingest in the sandbox.

Each file is a JSON array of contact trace records, JSON lines, or records concatenated with no
delimiter (how Kinesis Data Firehose writes the CTR stream to S3 by default), gzip-compressed or not
(told by its first bytes, not its name), of any size: records are read one at a time. They go to the
real ctr_ingest handler in Kinesis-sized events (`tandem.record_ingest`), so they are counted
exactly as the deployed stack counts them, each call once whatever is sent again.

Where the counts go: with `tandem sandbox up` running in this directory, into its Metrics table,
where `tandem report` and `tandem refused` read them. Without it, into an in-process sandbox that is
gone when the command ends: the run still checks the files and says what would be counted and
refused, and says that nothing was kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdas.shared.tables import METRICS
from tandem.output import capped, emit_json, table

if TYPE_CHECKING:
    from tandem.record_ingest import IngestSummary

IN_PROCESS_NOTE = (
    "no sandbox server is running here, so these records were counted in an in-process sandbox whose "
    "counters are gone now that the command has ended; run `tandem sandbox up` first to keep them for "
    "`tandem report`"
)


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "ingest",
        help="count contact records from files with the real ctr_ingest, in the sandbox",
        description="Feed contact trace records from files through the real ctr_ingest handler, in "
        "Kinesis-sized batches of 100, and print the calls counted, the calls unchanged (already "
        "counted, or an older version) and each refused record with its file, record number, line, "
        "reason code and field (never a value). Files: a JSON array, JSON lines, or JSON objects "
        "concatenated with no delimiter (Firehose's S3 form), gzip-compressed or not, any size. With "
        "`tandem sandbox up` running, the counts go to its Metrics table (read them with `tandem "
        "report`); without it, to an in-process sandbox that is gone when the command ends. Running "
        "the same files again counts nothing twice. Exit 0 when every record was counted, 1 when a "
        "record was refused, a file could not be read (one line naming the file and the position; the "
        "records before it are counted) or a write kept failing, 2 on usage errors.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a file of contact records")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported when run: the sandbox (boto3, moto) is not what `tandem --help` should load.
    from tandem.local import sandbox
    from tandem.record_ingest import ingest_files

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:  # before anything is counted: a mistyped name is a usage error, as for every command
        print(f"tandem ingest: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    with sandbox(history=False) as box:
        summary = ingest_files(box, args.paths)
        source = f"{box.description}, {box.table_names[METRICS.env_var]}"
        kept = box.persistent
    for problem in summary.unreadable:
        print(f"tandem ingest: {problem}", file=sys.stderr)
    note = None if kept else IN_PROCESS_NOTE
    if args.format == "json":
        emit_json({**summary.to_dict(), "source": source, "kept": kept, "note": note})
    else:
        _print(summary, source, note)
    return 0 if summary.clean else 1


def _print(summary: IngestSummary, source: str, note: str | None) -> None:
    print(f"Contact records through ctr_ingest, {source}\n")
    files = [
        [
            file.path,
            f"{file.records:,}",
            "read" if file.unreadable is None else f"unreadable at record {file.unreadable.position.record}",
        ]
        for file in summary.files
    ]
    print(table(["file", "records", "status"], files))
    print(
        f"\n{summary.records:,} records sent in {summary.events:,} events: "
        f"{summary.calls_counted:,} calls counted, {summary.calls_unchanged:,} unchanged "
        f"(already counted, or an older version), {len(summary.refused):,} records refused"
        + (f", {len(summary.failed):,} failed to write" if summary.failed else "")
    )
    if summary.refused:
        shown, more = capped(summary.refused)
        rows = [[r.position.path, r.position.record, r.position.line, r.reason, r.field] for r in shown]
        print("\n" + table(["file", "record", "line", "reason", "field"], rows))
        if more:
            print(more)
        print("\nRefused records change no counter; `tandem refused` lists them by the day they arrived.")
    for problem in summary.unreadable:
        print(f"\nUnreadable: {problem}")
    for position in summary.failed:
        print(f"\nNot written after retries: {position}")
    if note:
        print(f"\nNote: {note}")
