"""`tandem replay [--rules FILE...] [--from DATE --to DATE]`: what candidate documents would have
decided for the stored calls.

Reads the stored decisions (the Interactions table: the running sandbox, or `--target aws` with
`--table`, `--path` for the documents, `--profile`/`--region`), decides each again with the given
documents (the others as the store serves them) through the Lambda's own `decide`, and reports what
changed: decisions and calls, route changes, the rules that gained and lost decisions, and a sample
of changed decisions with both reason lists. Without `--rules` it is a self-check: the current
documents must change nothing (stored contexts are complete); if something changes it says what, and
exits 1. Days are the centre's days; without --from/--to every stored decision is replayed. Exit 0
with a replay, 1 when the store cannot be read, a candidate is invalid or the self-check fails, 2 on
usage errors.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.constants import DEFAULT_TIME_ZONE
from lambdas.documents.registry import Parsed
from lambdas.shared.tables import INTERACTIONS, METRICS
from tandem.commands.metrics_range import add_range_options, optional_range, run_on_target
from tandem.commands.rules import PATH_USAGE, PATH_VAR, check_files, print_problems, valid_path
from tandem.kpi_report import RangeError
from tandem.output import add_page_output, emit_json, write_page
from tandem.replay.contexts import StoredDecisions
from tandem.replay.document import StoreBroken, replay_store, replay_tables
from tandem.replay.engine import IVR_DOCUMENTS
from tandem.replay.outcomes import OutcomesIncomplete
from tandem.replay.projection import Projection

# The zone the centre's days are counted in (the sandbox's and a stack's default), as in `tandem report`.
CENTRE_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
FORMATS = ("table", "json", "html")
METRICS_TABLE_VAR = "TANDEM_METRICS_TABLE"  # where --target aws finds the calls' outcomes


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "replay", help="decide the stored calls again with candidate documents; what would change"
    )
    parser.add_argument(
        "--rules",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="candidate rules, content or calendar documents (the others: what the store serves)",
    )
    add_range_options(parser, table=INTERACTIONS, formats=FORMATS, range_required=False)
    parser.add_argument(
        "--path",
        default=None,
        help=f"SSM path of the documents for --target aws: the stack output IvrConfigPath (or {PATH_VAR})",
    )
    parser.add_argument(
        "--metrics-table",
        default=None,
        help=f"the Metrics table (the calls' outcomes) for --target aws (default: ${METRICS_TABLE_VAR})",
    )
    add_page_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        days = optional_range(args)
    except RangeError as error:
        return _usage(str(error))
    candidates = _candidates(args.rules)
    if isinstance(candidates, int):
        return candidates
    for option, given in (("--path", args.path), ("--metrics-table", args.metrics_table)):
        if args.target == "sandbox" and given is not None:
            return _usage(f"{option}: only with --target aws")
    if args.output is not None and args.format != "html":
        return _usage("--output: only with --format html")
    return run_on_target(
        args,
        _usage,
        lambda given: _from_sandbox(given, days, candidates),
        lambda given, table_name: _from_account(given, table_name, days, candidates),
        INTERACTIONS,
    )


def _usage(message: str) -> int:
    print(f"tandem replay: {message}", file=sys.stderr)
    return 2


def _candidates(files: list[Path]) -> dict[str, Parsed] | int:
    """The candidate documents by name, or the exit code after `tandem rules validate`'s errors."""
    checked = check_files(files)
    if checked is None:
        return 2
    parsed, problems = checked
    if len(problems) == 1:  # one line, as `tandem rules push` says it
        print(f"tandem replay: nothing was replayed: {problems[0]}", file=sys.stderr)
        return 1
    if problems:
        print_problems(problems)
        print(
            f"tandem replay: nothing was replayed ({len(problems):,} problems in the candidates)",
            file=sys.stderr,
        )
        return 1
    for file, document in parsed:
        if document.name not in IVR_DOCUMENTS:
            hint = (
                " (to replay a challenger, give its rules as a file)" if document.name == "experiment" else ""
            )
            return _usage(
                f"{file}: the {document.name} document does not decide routes; "
                f"give {', '.join(IVR_DOCUMENTS)}{hint}"
            )
    return {document.name: document for _, document in parsed}


def _from_sandbox(
    args: argparse.Namespace, days: tuple[date, date] | None, candidates: dict[str, Parsed]
) -> int:
    from tandem.local import sandbox
    from tandem.rules_store import SANDBOX_CONFIG_PATH

    with sandbox() as box:
        tables = (box.table_names[INTERACTIONS.env_var], box.table_names[METRICS.env_var])
        source = f"{box.description}, {tables[0]}"
        ssm, dynamodb = box.client("ssm"), box.client("dynamodb")
        replayed = _replay(
            ssm, SANDBOX_CONFIG_PATH, dynamodb, tables, days=days, candidates=candidates, source=source
        )
        persistent = box.persistent
    if isinstance(replayed, int):
        return replayed
    if not persistent and not replayed[2].items_read:
        print(
            "tandem replay: no sandbox server is running, so this read a fresh in-process sandbox, which "
            "has no stored decisions; run `tandem sandbox up` and put calls through it",
            file=sys.stderr,
        )
    return _emit(args, replayed[0], replayed[1])


def _from_account(
    args: argparse.Namespace, table_name: str, days: tuple[date, date] | None, candidates: dict[str, Parsed]
) -> int:
    import os

    import boto3

    path = args.path if args.path is not None else os.environ.get(PATH_VAR, "")
    if not valid_path(path):
        return _usage(PATH_USAGE)
    metrics_table = args.metrics_table or os.environ.get(METRICS_TABLE_VAR, "")
    if not metrics_table:
        return _usage(f"--metrics-table: the Metrics table's name (or set {METRICS_TABLE_VAR})")
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        ssm, dynamodb = session.client("ssm"), session.client("dynamodb")
    except Exception as error:  # a profile or region boto3 cannot use
        print(f"tandem replay: {error}", file=sys.stderr)
        return 1
    tables = (table_name, metrics_table)
    source = f"aws, {table_name}"
    replayed = _replay(ssm, path, dynamodb, tables, days=days, candidates=candidates, source=source)
    return replayed if isinstance(replayed, int) else _emit(args, replayed[0], replayed[1])


def _replay(
    ssm: Any,
    path: str,
    dynamodb: Any,
    tables: tuple[str, str],
    *,
    days: tuple[date, date] | None,
    candidates: dict[str, Parsed],
    source: str,
) -> tuple[dict[str, Any], Projection, StoredDecisions] | int:
    """The replay, or an exit code after a one-line error."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lambdas.documents.store import MalformedReply

    try:
        return replay_store(
            ssm, path, dynamodb, tables, days=days, zone=CENTRE_ZONE, candidates=candidates, source=source
        )
    except StoreBroken as error:
        print(f"tandem replay: {error}", file=sys.stderr)
    except (BotoCoreError, ClientError, MalformedReply, OutcomesIncomplete) as error:
        print(f"tandem replay: {'/'.join(tables)}: {error}", file=sys.stderr)
    return 1


def _emit(args: argparse.Namespace, document: dict[str, Any], projection: Projection) -> int:
    failed = 1 if document["selfCheck"] and not document["selfCheck"]["passed"] else 0
    if args.format == "json":
        emit_json(document)
    elif args.format == "html":
        from tandem.html.replay import replay_page  # plotly: imported only by the command that draws

        return write_page("tandem replay", replay_page(document), args.output) or failed
    else:
        print(replay_tables(document, projection))
    return failed
