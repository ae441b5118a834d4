"""`tandem experiment status`: champion against challenger, with intervals, the plan and a verdict.

The experiment is the store's experiment document (or `--experiment-file FILE`); the counters are
the Metrics table's `variant` dimension over the experiment's days (or `--from/--to`); the stop is
the parameter `<config path>/experiment-stop`, which only the guard writes. Methods and how to read
them: docs/balance.md ("Experiments: the statistics"). Exit 0 with a status, 1 when something cannot
be read, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lambdas.shared.clock import utc_now
from lambdas.shared.counters import CounterError
from lambdas.shared.experiment_stats import using
from lambdas.shared.json_text import JsonInputError, read_json
from lambdas.shared.tables import METRICS
from tandem.commands.metrics_range import add_range_options, optional_range, run_on_target
from tandem.commands.report import add_window_options, provisional_as_of
from tandem.experiment_read import read_status
from tandem.experiment_settings import ExperimentError
from tandem.experiment_status import Status
from tandem.kpi_report import RangeError
from tandem.output import add_page_output, emit_json, write_page

COMMAND = "tandem experiment status"
MAX_DOCUMENT_BYTES = 1 << 20
PATH_VAR = "TANDEM_IVR_CONFIG_PATH"


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("experiment", help="experiments: champion against challenger")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="each variant's KPIs with intervals, the plan and a verdict")
    add_range_options(status, formats=("table", "json", "html"), range_required=False)
    add_page_output(status)
    add_window_options(status)
    status.add_argument(
        "--experiment-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="the experiment document (default: the one in the store)",
    )
    status.add_argument(
        "--path",
        default=None,
        help=f"documents' SSM path for --target aws: the stack output IvrConfigPath (or set {PATH_VAR})",
    )
    status.set_defaults(run=run_status)


def _usage(message: str) -> int:
    print(f"{COMMAND}: {message}", file=sys.stderr)
    return 2


def _failed(message: str) -> int:
    print(f"{COMMAND}: {message}", file=sys.stderr)
    return 1


def run_status(args: argparse.Namespace) -> int:
    from tandem.stats_scipy import SCIPY

    with using(SCIPY):  # the guard (a Lambda) computes the same formulas with the standard library
        return _run_status(args)


def _run_status(args: argparse.Namespace) -> int:
    if args.output is not None and args.format != "html":
        return _usage("--output: only with --format html")
    try:
        given_range = optional_range(args)
    except RangeError as error:
        return _usage(str(error))
    document = None
    if args.experiment_file is not None:
        try:
            document = read_json(
                args.experiment_file, max_bytes=MAX_DOCUMENT_BYTES, what="experiment document"
            )
        except JsonInputError as error:
            return _failed(f"{args.experiment_file}: {error}")
    provisional = provisional_as_of(args, utc_now())  # the command's one wall-clock read

    def from_sandbox(given: argparse.Namespace) -> int:
        from tandem.local import sandbox
        from tandem.rules_store import SANDBOX_CONFIG_PATH

        if given.path is not None:
            return _usage("--path: only with --target aws")
        with sandbox() as box:
            return _status(
                box.client("ssm"),
                box.client("dynamodb"),
                box.table_names[METRICS.env_var],
                SANDBOX_CONFIG_PATH,
                box.description,
            )

    def from_account(given: argparse.Namespace, table_name: str) -> int:
        import os

        import boto3

        path = given.path or os.environ.get(PATH_VAR, "")
        if not path.startswith("/"):
            return _usage(f"--target aws needs --path like /tandem/Tandem/ivr (or {PATH_VAR})")
        session = boto3.Session(profile_name=given.profile, region_name=given.region)
        return _status(session.client("ssm"), session.client("dynamodb"), table_name, path, "aws")

    def _status(ssm: Any, dynamodb: Any, table_name: str, path: str, where: str) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        from lambdas.documents.store import MalformedReply

        try:
            status = read_status(
                ssm,
                dynamodb,
                table_name,
                path,
                provisional=provisional,
                document=document,
                given_range=given_range,
            )
        except RangeError as error:
            return _usage(f"{error} (give --from and --to)")
        except (ExperimentError, CounterError, ValueError) as error:
            return _failed(str(error))
        except (BotoCoreError, ClientError, MalformedReply) as error:
            return _failed(f"{where}: {error}")
        return _emit(status, f"{where}, {table_name}", args)

    return run_on_target(args, _usage, from_sandbox, from_account)


def _emit(status: Status, source: str, args: argparse.Namespace) -> int:
    if args.format == "html":
        from tandem.html.experiment import status_page  # plotly: imported only to draw

        return write_page(COMMAND, status_page(status, source), args.output)
    if args.format == "json":
        emit_json({**status.to_dict(), "source": source})
        return 0
    from tandem.experiment_tables import status_text

    print(status_text(status, source))
    return 0
